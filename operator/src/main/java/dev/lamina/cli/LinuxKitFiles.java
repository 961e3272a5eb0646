package dev.lamina.cli;

import dev.lamina.linuxkit.LinuxKitException;
import dev.lamina.linuxkit.LinuxKitProblem;
import dev.lamina.linuxkit.LinuxKitYaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/** Reading linuxkit.yml files for the command line, and telling them from Lamina's YAML. */
final class LinuxKitFiles {
  private static final Set<String> TOP_LEVEL_KEYS =
      Set.of("kernel", "init", "onboot", "onshutdown", "services", "files", "volumes", "trust");

  private LinuxKitFiles() {}

  /** Reads and checks a linuxkit.yml. */
  static LinuxKitYaml.Tree read(Path file) throws LinuxKitException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new LinuxKitException(
          List.of(new LinuxKitProblem("", 0, "cannot read the file: " + e.getMessage())));
    }
    return LinuxKitYaml.read(text, file.toString());
  }

  /**
   * Whether {@code file} is a linuxkit.yml rather than Kubernetes objects: its first document is a
   * mapping without apiVersion and kind, with at least one of LinuxKit's top-level keys.
   */
  static boolean isLinuxKit(Path file) {
    if (Files.isDirectory(file)) {
      return false;
    }
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(text)) {
        return doc instanceof Map<?, ?> m
            && !m.containsKey("apiVersion")
            && !m.containsKey("kind")
            && m.keySet().stream().anyMatch(TOP_LEVEL_KEYS::contains);
      }
      return false;
    } catch (IOException | YamlEngineException e) {
      // Let the reader that takes the file report what is wrong with it.
      return false;
    }
  }

  /** The OSImage name a file gives: its name without extension, as a Kubernetes name. */
  static String imageName(Path file) {
    String base = file.getFileName().toString().replaceFirst("\\.(ya?ml)$", "");
    String name =
        base.toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9.-]+", "-")
            .replaceAll("^[-.]+|[-.]+$", "");
    if (name.length() > 63) {
      name = name.substring(0, 63).replaceAll("[-.]+$", "");
    }
    return name.isEmpty() ? "linuxkit" : name;
  }
}

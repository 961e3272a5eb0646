package dev.lamina.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed crds/ must be what the CRD generator makes of the Java types, with the printer
 * columns in the order the {@link AdditionalPrinterColumn} annotations declare them (the generator
 * sorts them by JSON path, which would put Age first). Run with {@code -Dlamina.updateCrds=true} to
 * write crds/ instead of checking it.
 */
class CrdDriftTest {
  private static final String REFRESH =
      "crds/ is out of date with the Java types: run `mvn -pl operator test -Dtest=CrdDriftTest"
          + " -Dlamina.updateCrds=true` and commit crds/";

  // Surefire runs in operator/, after process-classes generated target/classes/META-INF/fabric8.
  private static final Path COMMITTED = Path.of("..", "crds");
  private static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8");
  private static final Map<String, Class<?>> RESOURCES =
      Map.of(
          "layers.lamina.dev-v1.yml", Layer.class,
          "osimages.lamina.dev-v1.yml", OSImage.class,
          "imagepolicies.lamina.dev-v1.yml", ImagePolicy.class);

  @Test
  void committedCrdsEqualTheGeneratedOnes() throws IOException {
    List<String> generated = crdFiles(GENERATED);
    assertThat(generated).as("CRDs generated in " + GENERATED.toAbsolutePath()).isNotEmpty();
    assertThat(RESOURCES.keySet())
        .as("a resource class for each generated CRD")
        .containsAll(generated);
    boolean update = Boolean.getBoolean("lamina.updateCrds");
    for (String name : generated) {
      String expected =
          inDeclaredColumnOrder(Files.readString(GENERATED.resolve(name)), RESOURCES.get(name));
      if (update) {
        Files.writeString(COMMITTED.resolve(name), expected);
      }
    }
    assertThat(crdFiles(COMMITTED)).as(REFRESH).isEqualTo(generated);
    for (String name : generated) {
      assertThat(Files.readString(COMMITTED.resolve(name)))
          .as(REFRESH + " (" + name + " differs)")
          .isEqualTo(
              inDeclaredColumnOrder(
                  Files.readString(GENERATED.resolve(name)), RESOURCES.get(name)));
    }
  }

  @Test
  void osImageColumnsReadPhaseFirstAndAgeLast() throws IOException {
    String crd = Files.readString(COMMITTED.resolve("osimages.lamina.dev-v1.yml"));
    List<String> names =
        crd.lines()
            .dropWhile(l -> !l.contains("additionalPrinterColumns:"))
            .filter(l -> l.startsWith("      name: "))
            .map(l -> l.substring("      name: ".length()).replace("\"", ""))
            .toList();
    assertThat(names)
        .containsExactly("Phase", "Architectures", "Digest", "Policy", "Reason", "Message", "Age");
  }

  /**
   * Reorders the items of each {@code additionalPrinterColumns} list of a generated CRD to the
   * order of the resource class's annotations, keeping the generator's text of every item.
   */
  static String inDeclaredColumnOrder(String crd, Class<?> resource) {
    List<String> order =
        Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    List<String> lines = crd.lines().toList();
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < lines.size()) {
      String line = lines.get(i++);
      out.append(line).append('\n');
      if (!line.endsWith("additionalPrinterColumns:")) {
        continue;
      }
      // Items sit at the key's indentation ("- jsonPath: ..."), their fields two deeper.
      String itemIndent = " ".repeat(line.indexOf("additionalPrinterColumns:"));
      Map<String, List<String>> items = new LinkedHashMap<>();
      List<String> current = null;
      while (i < lines.size()
          && (lines.get(i).startsWith(itemIndent + "- ")
              || lines.get(i).startsWith(itemIndent + "  "))) {
        String l = lines.get(i++);
        if (l.startsWith(itemIndent + "- ")) {
          current = new ArrayList<>();
          items.put(String.valueOf(items.size()), current);
        }
        current.add(l);
      }
      Map<String, List<String>> byName = new LinkedHashMap<>();
      for (List<String> item : items.values()) {
        String name =
            item.stream()
                .map(String::strip)
                .map(s -> s.startsWith("- ") ? s.substring(2) : s)
                .filter(s -> s.startsWith("name: "))
                .map(s -> s.substring("name: ".length()).replace("\"", ""))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("printer column without a name"));
        byName.put(name, item);
      }
      assertThat(byName.keySet())
          .as("printer columns of " + resource.getSimpleName())
          .containsExactlyInAnyOrderElementsOf(order);
      for (String name : order) {
        byName.get(name).forEach(l -> out.append(l).append('\n'));
      }
    }
    return out.toString();
  }

  private static List<String> crdFiles(Path dir) throws IOException {
    assertThat(dir).as("directory " + dir.toAbsolutePath()).isDirectory();
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith("-v1.yml"))
          .sorted()
          .toList();
    }
  }
}

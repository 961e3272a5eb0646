package dev.lamina.cli;

import dev.lamina.api.Architecture;
import dev.lamina.linuxkit.ImportedYaml;
import dev.lamina.linuxkit.LinuxKitException;
import dev.lamina.linuxkit.LinuxKitImport;
import dev.lamina.linuxkit.LinuxKitProblem;
import dev.lamina.linuxkit.RegistryMap;
import dev.lamina.oci.OciClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Turns a linuxkit.yml into Layers and an OSImage, every image pinned by digest. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Reads a linuxkit.yml and writes the Layers and the OSImage that build it, ready for"
          + " kubectl apply -f: every image becomes a Layer pinned by the digest its tag has now.",
      "Keys Lamina cannot express (volumes, resources, files read from this machine, …) are"
          + " listed on stderr by their path, and nothing is written unless --allow-loss.",
      "Exit code: 0 written, 1 a registry failed, 2 bad input, 3 something cannot be expressed"
          + " (nothing written)."
    })
public final class ImportCommand implements Callable<Integer> {
  /** Exit code when the file is valid LinuxKit that Lamina cannot fully express. */
  static final int LOSS = 3;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "LINUXKIT.YML", description = "The LinuxKit file.")
  Path file;

  @Option(
      names = "--registry-map",
      paramLabel = "FROM=TO",
      description =
          "Pull images under FROM from TO instead, e.g."
              + " docker.io/linuxkit=127.0.0.1:5000/linuxkit or docker.io/linuxkit=oci:/srv/layouts;"
              + " the longest FROM wins; repeatable. The Layers name TO.")
  List<String> registryMap = new ArrayList<>();

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NAMESPACE",
      description = "Namespace of the objects (default: none, i.e. kubectl's current one).")
  String namespace;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Name of the OSImage (default: the file's name without .yml).")
  String name;

  @Option(
      names = "--arch",
      split = ",",
      defaultValue = "amd64,arm64",
      paramLabel = "ARCH",
      description =
          "Architectures to build; every image must have them (default: ${DEFAULT-VALUE}).")
  List<Architecture> archs;

  @Option(
      names = "--output-repository",
      paramLabel = "REPO",
      description = "spec.output.repository of the OSImage (default: none; needed to push).")
  String outputRepository;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write the YAML here (default: standard output).")
  Path output;

  @Option(
      names = "--allow-loss",
      description =
          "Write the objects even when keys cannot be expressed; they are still listed on stderr.")
  boolean allowLoss;

  @Option(
      names = "--insecure-registry",
      paramLabel = "HOST[:PORT]",
      description = "Registry reached over plain HTTP (loopback always is); repeatable.")
  List<String> insecure = new ArrayList<>();

  @Option(
      names = "--docker-config",
      paramLabel = "PATH",
      description = "Directory or file of registry credentials (default $DOCKER_CONFIG).")
  Path dockerConfig;

  @Mixin RegistryTimeoutOptions timeoutOptions = new RegistryTimeoutOptions();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      LinuxKitImport.Options options;
      OciClient client;
      try {
        options =
            new LinuxKitImport.Options(
                name != null ? name : LinuxKitFiles.imageName(file),
                namespace,
                archs,
                RegistryMap.parse(registryMap),
                outputRepository,
                allowLoss);
        OciClient.Builder b =
            OciClient.builder().insecureHosts(insecure).timeouts(timeoutOptions.timeouts());
        if (dockerConfig != null) {
          b.dockerConfig(dockerConfig);
        }
        client = b.build();
      } catch (IllegalArgumentException e) {
        err.println("lamina import: " + e.getMessage());
        return 2;
      }
      LinuxKitImport.Result result = LinuxKitImport.run(LinuxKitFiles.read(file), options, client);
      for (LinuxKitProblem loss : result.losses()) {
        err.println("lamina import: " + file + ": left out: " + loss);
      }
      String yaml = ImportedYaml.write(result);
      if (output == null) {
        out.print(yaml);
        out.flush();
      } else {
        Path tmp = Files.createTempFile(output.toAbsolutePath().getParent(), ".lamina-import-", "");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        Files.move(
            tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      err.printf(
          "lamina import: %s: %d Layers and OSImage %s%n",
          file, result.layers().size(), result.osImage().getMetadata().getName());
      return 0;
    } catch (LinuxKitException e) {
      for (LinuxKitProblem p : e.problems()) {
        err.println("lamina import: " + file + ": " + p);
      }
      return 2;
    } catch (LinuxKitImport.LossException e) {
      for (LinuxKitProblem p : e.losses()) {
        err.println("lamina import: " + file + ": cannot express: " + p);
      }
      err.println(
          "lamina import: nothing written: "
              + e.losses().size()
              + " key(s) above have no Lamina equivalent; --allow-loss writes the rest");
      return LOSS;
    } catch (IOException | RuntimeException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      err.println("lamina import: " + message.replace('\n', ' '));
      return 1;
    } finally {
      err.flush();
    }
  }
}

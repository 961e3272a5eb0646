package dev.lamina.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.Descriptor;
import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.testing.TestRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lamina layer` as a user runs it: the jar as a process, pushing to a real registry. */
class LayerCommandIT {
  @TempDir Path tmp;

  CliRun lamina(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                System.getProperty("lamina.jar", "target/lamina.jar")));
    command.addAll(List.of(args));
    Path out = tmp.resolve("stdout");
    Path err = tmp.resolve("stderr");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("lamina " + String.join(" ", args) + " did not finish");
    }
    return new CliRun(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
  }

  Path tree(String name, String arch) throws IOException {
    Path root = tmp.resolve(name);
    Files.createDirectories(root.resolve("bin"));
    Files.writeString(root.resolve("bin/tool"), "tool for " + arch);
    Files.createSymbolicLink(root.resolve("bin/t"), Path.of("tool"));
    return root;
  }

  @Test
  void pushesAnIndexToARegistryWithTheDigestsOfALayout() throws Exception {
    Path amd = tree("amd", "amd64");
    Path arm = tree("arm", "arm64");
    try (TestRegistry registry = TestRegistry.start()) {
      String repository = registry.host() + "/platform/tools";

      CliRun pushed =
          lamina(
              "layer",
              "--platform",
              "linux/amd64=" + amd,
              "--platform",
              "linux/arm64=" + arm,
              "--to",
              repository + ":1.0");
      CliRun local =
          lamina(
              "layer",
              "--platform",
              "linux/amd64=" + amd,
              "--platform",
              "linux/arm64=" + arm,
              "--to",
              "oci:" + tmp.resolve("layout") + ":1.0");

      assertThat(pushed.exit()).as(pushed.err()).isZero();
      assertThat(local.exit()).as(local.err()).isZero();
      assertThat(pushed.out()).isEqualTo(local.out()).matches("sha256:[0-9a-f]{64}\n");
      OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
      OciRepository repo = client.repository(repository);
      Descriptor tag = repo.resolveTag("1.0").orElseThrow();
      assertThat(tag.digest()).isEqualTo(pushed.out().strip());
      ImageIndex index = ImageIndex.parse(repo.manifestBytes(tag.digest()));
      assertThat(index.manifests())
          .extracting(Descriptor::platform)
          .containsExactly(Platform.linux("amd64"), Platform.linux("arm64"));
      // Every blob the manifests name is in the registry with its bytes.
      for (Descriptor entry : index.manifests()) {
        ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(entry.digest()));
        for (Descriptor blob : List.of(manifest.config(), manifest.layers().get(0))) {
          try (InputStream in = repo.openBlob(blob)) {
            assertThat(in.readAllBytes()).hasSize((int) blob.size());
          }
        }
      }
    }
  }

  @Test
  void unreachableRegistryFailsWithOneLine() throws Exception {
    Path amd = tree("amd", "amd64");
    // A port nothing listens on: the registry was closed before the push.
    String host;
    try (TestRegistry registry = TestRegistry.start()) {
      host = registry.host();
    }

    CliRun r = lamina("layer", "--platform", "linux/amd64=" + amd, "--to", host + "/x/y:1");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    // Retries are logged as warnings before it; the error itself is the last line.
    List<String> lines = r.err().strip().lines().toList();
    assertThat(lines.get(lines.size() - 1))
        .startsWith("lamina layer: pushing blob " + host + "/x/y@sha256:")
        .contains("cannot connect");
  }
}

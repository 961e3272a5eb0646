package dev.lamina.cli;

import static dev.lamina.testing.TestLayers.Entry.file;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import dev.lamina.plan.BuildResult;
import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lamina build --out} does not trust what is already in the directory: it writes into a
 * fresh directory of its own and renames it into place, never through a symlink, and a build leaves
 * no artifact or result of an earlier one beside its own. Layers come from OCI layouts, so no
 * registry is needed.
 */
class BuildCommandOutTest {
  @TempDir Path tmp;
  Path layouts;
  Path out;
  Path outside;

  @BeforeEach
  void layers() throws IOException {
    layouts = tmp.resolve("layouts");
    out = tmp.resolve("out");
    outside = tmp.resolve("outside");
    Files.createDirectories(outside);
    OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
    TestLayers.pushImage(
        client.repository("oci:" + layouts.resolve("kernel")),
        "1",
        Map.of(
            "amd64", List.of(TestLayers.tarGz(file("kernel", "KERNEL-amd64"))),
            // arm64's kernel layer lacks the binary: that architecture fails to assemble.
            "arm64", List.of(TestLayers.tarGz(file("boot/other", "x")))));
    TestLayers.pushImage(
        client.repository("oci:" + layouts.resolve("base")),
        "1",
        Map.of(
            "amd64", List.of(TestLayers.tarGz(file("etc/motd", "amd64"))),
            "arm64", List.of(TestLayers.tarGz(file("etc/motd", "arm64")))));
  }

  private Path yaml(String name, String archs) throws IOException {
    String text =
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: "oci:%s:1"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: base}
        spec: {image: "oci:%s:1"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: %s}
        spec:
          architectures: [%s]
          kernel: {layer: kernel}
          init: [base]
        """
            .formatted(layouts.resolve("kernel"), layouts.resolve("base"), name, archs);
    Path file = tmp.resolve(name + ".yaml");
    Files.writeString(file, text);
    return file;
  }

  private CliRun build(Path yaml) {
    return CliRun.inProcess("build", "-f", yaml.toString(), "--out", out.toString());
  }

  private static BuildResult result(Path archDir) throws IOException {
    return BuildResult.fromJson(Files.readString(archDir.resolve("result.json")));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void symlinkPlantedAtAnArtifactIsNotWrittenThrough() throws IOException {
    Path victim = Files.writeString(outside.resolve("victim"), "untouched");
    Files.createDirectories(out.resolve("amd64"));
    Files.createSymbolicLink(out.resolve("amd64/initrd.img"), victim);
    Files.createSymbolicLink(out.resolve("amd64/result.json"), victim);

    CliRun run = build(yaml("planted", "amd64"));

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(Files.readString(victim)).isEqualTo("untouched");
    assertThat(Files.isSymbolicLink(out.resolve("amd64/initrd.img"))).isFalse();
    assertThat(Files.isRegularFile(out.resolve("amd64/initrd.img"), LinkOption.NOFOLLOW_LINKS))
        .isTrue();
    assertThat(result(out.resolve("amd64")).succeeded()).isTrue();
    assertThat(names(out)).containsExactly("amd64");
  }

  @Test
  void symlinkPlantedAsTheArchitectureDirectoryIsReplacedNotFollowed() throws IOException {
    Path victimDir = Files.createDirectories(outside.resolve("dir"));
    Files.writeString(victimDir.resolve("initrd.img"), "untouched");
    Files.createDirectories(out);
    Files.createSymbolicLink(out.resolve("amd64"), victimDir);

    CliRun run = build(yaml("planteddir", "amd64"));

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(names(victimDir)).containsExactly("initrd.img");
    assertThat(Files.readString(victimDir.resolve("initrd.img"))).isEqualTo("untouched");
    assertThat(Files.isDirectory(out.resolve("amd64"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(names(out.resolve("amd64")))
        .containsExactly("cmdline", "initrd.img", "kernel", "result.json", "sbom.spdx.json");
  }

  @Test
  void failedBuildLeavesOnlyItsOwnResultNotThePreviousArtifacts() throws IOException {
    CliRun good = build(yaml("stale", "amd64"));
    assertThat(good.exit()).as(good.err()).isZero();
    assertThat(names(out.resolve("amd64")))
        .containsExactly("cmdline", "initrd.img", "kernel", "result.json", "sbom.spdx.json");
    Files.writeString(out.resolve("amd64/extra-from-the-user"), "stale");

    // Same directory, an OSImage whose kernel binary is missing.
    Path bad = yaml("stale", "amd64");
    Files.writeString(
        bad, Files.readString(bad).replace("{layer: kernel}", "{layer: kernel, binary: vmlinuz}"));
    CliRun failed = build(bad);

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(names(out)).containsExactly("amd64");
    assertThat(names(out.resolve("amd64"))).containsExactly("result.json");
    BuildResult r = result(out.resolve("amd64"));
    assertThat(r.succeeded()).isFalse();
    assertThat(r.error().reason()).isEqualTo("KernelMissing");
  }

  @Test
  void oneFailedArchitectureKeepsNothingOfTheOthers() throws IOException {
    CliRun run = build(yaml("mixed", "amd64, arm64"));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(names(out)).containsExactly("amd64", "arm64");
    assertThat(names(out.resolve("amd64"))).containsExactly("result.json");
    assertThat(names(out.resolve("arm64"))).containsExactly("result.json");
    assertThat(result(out.resolve("arm64")).error().reason()).isEqualTo("KernelMissing");
    BuildResult amd = result(out.resolve("amd64"));
    assertThat(amd.error().reason()).isEqualTo("ArchitectureFailed");
    assertThat(amd.error().message()).startsWith("arm64 failed");
  }

  @Test
  void corruptInitLayerFailsTheBuildWhileTheKernelLayerIsReadBesideIt() throws IOException {
    // The kernel layer is read on its own thread while the init layers are: the init layer's
    // failure is what the build reports, and the build ends (nothing waits on the kernel read).
    byte[] gz = TestLayers.tarGz(file("etc/motd", "amd64"));
    OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
    TestLayers.pushImage(
        client.repository("oci:" + layouts.resolve("base")),
        "1",
        Map.of("amd64", List.of(java.util.Arrays.copyOf(gz, gz.length - 12))));

    CliRun run = build(yaml("corrupt", "amd64"));

    assertThat(run.exit()).isEqualTo(1);
    assertThat(names(out.resolve("amd64"))).containsExactly("result.json");
    BuildResult r = result(out.resolve("amd64"));
    assertThat(r.succeeded()).isFalse();
    assertThat(r.error().message()).contains("truncated or corrupt gzip stream");
  }
}

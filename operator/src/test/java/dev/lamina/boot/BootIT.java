package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.OciClient;
import dev.lamina.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The product end to end: `lamina build` assembles kernel, busybox and init layers pulled from a
 * registry into an image per architecture, and each image boots under qemu to its init.
 */
class BootIT {
  static final List<String> ARCHES = List.of("amd64", "arm64");
  static final String RELEASE = "lamina-boot-test 1";
  static final String CMDLINE = "lamina.test=boot";

  @TempDir static Path work;
  static TestRegistry registry;
  static Path layout;
  static Path out;

  @BeforeAll
  static void buildFromRegistry() throws Exception {
    layout = work.resolve("layout");
    Map<String, String> digests = TestImages.writeBootImages(layout, ARCHES);
    registry = TestRegistry.start();
    OciClient client = OciClient.create();
    for (Map.Entry<String, String> image : digests.entrySet()) {
      String tag = image.getKey();
      String pushed =
          TestImages.copy(client, "oci:" + layout, tag, registry.host() + "/lamina/" + tag, "1");
      // Same digests in both places, or the layout-versus-registry comparison means nothing.
      assertThat(pushed).as(tag).isEqualTo(image.getValue());
    }
    out = work.resolve("out-registry");
    build(yaml(tag -> registry.host() + "/lamina/" + tag + ":1"), out);
  }

  @AfterAll
  static void stopRegistry() throws IOException {
    if (registry != null) {
      registry.close();
    }
  }

  @ParameterizedTest
  @CsvSource({"amd64, x86_64", "arm64, aarch64"})
  void builtImageBootsToItsInit(String arch, String machine) throws IOException {
    Path dir = out.resolve(arch);
    String cmdline = Files.readString(dir.resolve("cmdline"), UTF_8);

    QemuBoot.Result boot =
        QemuBoot.boot(
            arch,
            dir.resolve("kernel"),
            dir.resolve("initrd.img"),
            cmdline,
            QemuHarnessIT.logDir().resolve("boot-" + arch + ".log"),
            TestImages.MARKER,
            QemuHarnessIT.TIMEOUT);

    assertThat(boot.markerSeen()).as(boot.console()).isTrue();
    assertThat(boot.linesStartingWith(TestImages.MARKER)).containsExactly("arch=" + machine);
    // spec.files reached the rootfs, kernel.tar's modules load, the OSImage's cmdline reached
    // the kernel.
    assertThat(boot.linesStartingWith("LAMINA-RELEASE")).containsExactly(RELEASE);
    assertThat(boot.linesStartingWith("LAMINA-MODULE-OK")).containsExactly("crc7");
    assertThat(boot.linesStartingWith("LAMINA-RANDOM")).containsExactly(TestImages.RANDOM_SHA256);
    assertThat(boot.linesStartingWith("LAMINA-CMDLINE"))
        .singleElement()
        .asString()
        .contains(CMDLINE);
    assertThat(dir.resolve("kernel")).hasSameBinaryContentAs(DebianPackages.vmlinuz(arch));
  }

  @Test
  void layoutLayersBuildTheSameBytesAsRegistryLayers() throws Exception {
    Path fromLayout = work.resolve("out-layout");
    build(yaml(tag -> "oci:" + layout + ":" + tag), fromLayout);

    for (String arch : ARCHES) {
      for (String artifact : List.of("kernel", "initrd.img", "cmdline")) {
        assertThat(fromLayout.resolve(arch).resolve(artifact))
            .as(arch + "/" + artifact)
            .hasSameBinaryContentAs(out.resolve(arch).resolve(artifact));
      }
    }
  }

  private static String yaml(Function<String, String> image) {
    StringBuilder doc = new StringBuilder();
    for (String tag : List.of("kernel", "busybox", "init")) {
      doc.append(
          """
          apiVersion: lamina.dev/v1alpha1
          kind: Layer
          metadata:
            name: %s
          spec:
            image: %s
          ---
          """
              .formatted(tag, image.apply(tag)));
    }
    doc.append(
        """
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata:
          name: boot
        spec:
          architectures: [amd64, arm64]
          kernel:
            layer: kernel
            cmdline: "%s"
          init: [busybox, init]
          files:
            - path: etc/lamina-release
              contents: "%s\\n"
              mode: "0644"
        """
            .formatted(CMDLINE, RELEASE));
    return doc.toString();
  }

  private static void build(String yaml, Path outDir) throws Exception {
    Path file = work.resolve(outDir.getFileName() + ".yaml");
    Files.writeString(file, yaml, UTF_8);
    String jar = System.getProperty("lamina.jar", "target/lamina.jar");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    run(
        Duration.ofMinutes(5),
        java.toString(),
        "-jar",
        jar,
        "build",
        "-f",
        file.toString(),
        "--out",
        outDir.toString());
  }

  private static void run(Duration timeout, String... command) throws Exception {
    Path log = Files.createTempFile(work, "run", ".log");
    Process p =
        new ProcessBuilder(new ArrayList<>(List.of(command)))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    assertThat(done && p.exitValue() == 0)
        .as("%s\n%s", String.join(" ", command), Files.readString(log, UTF_8))
        .isTrue();
  }
}

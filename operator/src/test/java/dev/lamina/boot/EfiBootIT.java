package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.testing.TestRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EFI formats end to end: `lamina build` makes a UKI, a raw GPT disk, a qcow2 disk and an ISO
 * per architecture from layers (the stub one made from Debian's systemd-boot-efi, pinned by
 * digest); qemu-img and xorriso accept them; each boots under UEFI firmware to the test init, 8
 * boots; a second build in another JVM, zone, locale and day writes the same bytes; bad input fails
 * with one line and pushes nothing.
 */
class EfiBootIT {
  private static final Logger LOG = LoggerFactory.getLogger(EfiBootIT.class);
  static final List<String> ARCHES = List.of("amd64", "arm64");
  static final List<String> ARTIFACTS =
      List.of("kernel", "initrd.img", "uki.efi", "disk.raw", "disk.qcow2", "disk.iso");
  static final String FORMATS = "[kernel+initrd, uki, raw-efi, qcow2-efi, iso-efi]";
  // arm64 under TCG and a loaded CI machine: generous, since a boot is measured, not timed.
  static final Duration TIMEOUT = Duration.ofMinutes(6);
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path work;
  static Path layout;
  static String stubDigest;
  static Map<String, Path> out = new LinkedHashMap<>();
  static Map<String, Long> buildMillis = new LinkedHashMap<>();

  @BeforeAll
  static void build() throws Exception {
    layout = work.resolve("layout");
    TestImages.writeBootImages(layout, ARCHES);
    Map<String, List<LayerTree>> stub = new LinkedHashMap<>();
    Map<String, List<LayerTree>> swapped = new LinkedHashMap<>();
    Map<String, List<LayerTree>> empty = new LinkedHashMap<>();
    Map<String, List<LayerTree>> notEfiKernel = new LinkedHashMap<>();
    for (String arch : ARCHES) {
      String other = arch.equals("amd64") ? "arm64" : "amd64";
      stub.put(arch, List.of(stubLayer(arch, DebianPackages.efiStub(arch))));
      swapped.put(arch, List.of(stubLayer(arch, DebianPackages.efiStub(other))));
      empty.put(arch, List.of(new LayerTree().file("usr/share/doc/README", 0644, new byte[1])));
      notEfiKernel.put(
          arch, List.of(new LayerTree().file("kernel", 0644, "not a kernel\n".getBytes(UTF_8))));
    }
    stubDigest = TestImages.writeImage(layout, "efi-stub", stub);
    TestImages.writeImage(layout, "efi-stub-swapped", swapped);
    TestImages.writeImage(layout, "efi-stub-empty", empty);
    TestImages.writeImage(layout, "not-efi-kernel", notEfiKernel);
    for (String arch : ARCHES) {
      Path dir = work.resolve("build-" + arch);
      long start = System.nanoTime();
      run(
          lamina(List.of(), "build", "-f", yaml(arch, "", "", ""), "--out", dir.toString()),
          Map.of());
      buildMillis.put(arch, (System.nanoTime() - start) / 1_000_000);
      out.put(arch, dir.resolve(arch));
      LOG.info("EFI build {}: {} ms", arch, buildMillis.get(arch));
    }
  }

  static LayerTree stubLayer(String arch, Path stub) {
    return new LayerTree().file(DebianPackages.efiStubPath(arch), 0644, stub);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "amd64, uki, x86_64",
    "amd64, raw-efi, x86_64",
    "amd64, qcow2-efi, x86_64",
    "amd64, iso-efi, x86_64",
    "arm64, uki, aarch64",
    "arm64, raw-efi, aarch64",
    "arm64, qcow2-efi, aarch64",
    "arm64, iso-efi, aarch64"
  })
  void bootsUnderUefiFirmware(String arch, String format, String machine) throws IOException {
    Path dir = out.get(arch);
    Path log = QemuHarnessIT.logDir().resolve("efi-" + arch + "-" + format + ".log");
    QemuBoot.Result boot =
        switch (format) {
          case "uki" -> {
            // The UKI on its own: the firmware runs it as the boot file of a FAT drive that qemu
            // makes from a directory, so neither our FAT nor our GPT is involved.
            Path esp = Files.createDirectories(work.resolve("esp-" + arch).resolve("EFI/BOOT"));
            String name = arch.equals("amd64") ? "BOOTX64.EFI" : "BOOTAA64.EFI";
            Files.copy(dir.resolve("uki.efi"), esp.resolve(name));
            yield UefiBoot.boot(
                arch,
                UefiBoot.Media.ESP_DIRECTORY,
                esp.getParent().getParent(),
                "raw",
                work,
                log,
                TestImages.MARKER,
                TIMEOUT);
          }
          case "raw-efi" ->
              UefiBoot.boot(
                  arch,
                  UefiBoot.Media.DISK,
                  dir.resolve("disk.raw"),
                  "raw",
                  work,
                  log,
                  TestImages.MARKER,
                  TIMEOUT);
          case "qcow2-efi" ->
              UefiBoot.boot(
                  arch,
                  UefiBoot.Media.DISK,
                  dir.resolve("disk.qcow2"),
                  "qcow2",
                  work,
                  log,
                  TestImages.MARKER,
                  TIMEOUT);
          default ->
              UefiBoot.boot(
                  arch,
                  UefiBoot.Media.CDROM,
                  dir.resolve("disk.iso"),
                  "raw",
                  work,
                  log,
                  TestImages.MARKER,
                  TIMEOUT);
        };
    LOG.info(
        "EFI boot {} {}: marker after {} ms, kernel ran /init at {} s",
        arch,
        format,
        boot.wallTime().toMillis(),
        boot.kernelTimeToInit());
    Files.writeString(
        QemuHarnessIT.logDir().resolve("efi-boot-times.txt"),
        String.format(
            "%s %s %d ms (kernel /init at %s s)%n",
            arch, format, boot.wallTime().toMillis(), boot.kernelTimeToInit()),
        UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    assertThat(boot.markerSeen()).as(boot.console()).isTrue();
    assertThat(boot.linesStartingWith(TestImages.MARKER)).containsExactly("arch=" + machine);
    // The OSImage's files and the kernel.tar modules are in the initrd the UKI carries, and its
    // cmdline reached the kernel through the .cmdline section.
    assertThat(boot.linesStartingWith("LAMINA-RELEASE")).containsExactly(BootIT.RELEASE);
    assertThat(boot.linesStartingWith("LAMINA-MODULE-OK")).containsExactly("crc7");
    assertThat(boot.linesStartingWith("LAMINA-CMDLINE"))
        .singleElement()
        .asString()
        .contains(BootIT.CMDLINE);
  }

  @ParameterizedTest
  @CsvSource({"amd64", "arm64"})
  void diskImagesPassQemuImgAndXorriso(String arch) throws Exception {
    Path dir = out.get(arch);
    assertThat(sh("qemu-img", "check", dir.resolve("disk.qcow2").toString()))
        .contains("No errors were found on the image.");
    assertThat(
            sh(
                "qemu-img",
                "compare",
                "-f",
                "raw",
                "-F",
                "qcow2",
                dir.resolve("disk.raw").toString(),
                dir.resolve("disk.qcow2").toString()))
        .contains("Images are identical.");
    String report =
        sh("xorriso", "-indev", dir.resolve("disk.iso").toString(), "-report_el_torito", "plain");
    assertThat(report).contains("El Torito boot img :   1  UEFI  y   none");
    assertThat(report).contains("El Torito img path :   1  /EFIBOOT.IMG");
    for (String artifact : ARTIFACTS) {
      LOG.info("EFI artifact {} {}: {} bytes", arch, artifact, Files.size(dir.resolve(artifact)));
    }
  }

  @Test
  void anotherJvmZoneLocaleAndDayWritesTheSameBytes() throws Exception {
    for (String arch : ARCHES) {
      Path dir = work.resolve("again-" + arch);
      List<String> command = new ArrayList<>(List.of("faketime", "-f", "+400d"));
      command.addAll(
          lamina(
              List.of("-XX:ActiveProcessorCount=1", "-XX:+UseSerialGC", "-Duser.language=tr"),
              "build",
              "-f",
              yaml(arch, "", "", ""),
              "--out",
              dir.toString()));
      run(
          command,
          Map.of(
              "TZ", "Pacific/Chatham",
              "LANG", "tr_TR.UTF-8",
              "FAKETIME_DONT_FAKE_MONOTONIC", "1"));
      for (String artifact : ARTIFACTS) {
        assertThat(dir.resolve(arch).resolve(artifact))
            .as(arch + "/" + artifact)
            .hasSameBinaryContentAs(out.get(arch).resolve(artifact));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "stub layer without the stub | efi-stub-empty | kernel | | InvalidEfiStub: EFI stub"
            + " \"usr/lib/systemd/boot/efi/linuxx64.efi.stub\" not found in layer \"efi-stub\"",
        "stub for the other architecture | efi-stub-swapped | kernel | | InvalidEfiStub: EFI stub"
            + " \"usr/lib/systemd/boot/efi/linuxx64.efi.stub\" in layer \"efi-stub\" is an EFI stub"
            + " for arm64 (AArch64), not for amd64 (x86-64)",
        "kernel without an EFI stub | efi-stub | not-efi-kernel | | KernelNotEfi: kernel binary"
            + " \"kernel\" in layer \"kernel\" is not an EFI-stub kernel (no PE header)",
        "image larger than spec.disk.size | efi-stub | kernel | disk: {size: 16Mi} |"
            + " DiskTooSmall: the EFI disk needs",
        "cmdline too long | efi-stub | kernel | cmdline | CmdlineTooLong: spec.kernel.cmdline is"
      })
  void badInputFailsWithOneLineAndPushesNothing(
      String name, String stubTag, String kernelTag, String extra, String expected)
      throws Exception {
    try (TestRegistry registry = TestRegistry.start()) {
      String repo = registry.host() + "/images/bad";
      String spec = extra == null ? "" : extra.equals("cmdline") ? "" : extra;
      String cmdline = "cmdline".equals(extra) ? "x".repeat(3000) : "";
      Path yaml =
          Path.of(
              yaml(
                  "amd64",
                  spec + "\n  output: {repository: \"" + repo + "\"}",
                  cmdline,
                  stubTag + "|" + kernelTag));
      Process p =
          new ProcessBuilder(lamina(List.of(), "build", "-f", yaml.toString(), "--push"))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      String stderr = new String(p.getErrorStream().readAllBytes(), UTF_8).strip();
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
      assertThat(p.exitValue()).as(stderr).isEqualTo(1);
      // Progress lines come first; the failure is one line of its own.
      assertThat(stderr.lines().filter(l -> l.startsWith("lamina build:")))
          .as(stderr)
          .singleElement()
          .asString()
          .startsWith("lamina build: " + expected);
      HttpResponse<String> tags =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://" + registry.host() + "/v2/images/bad/tags/list"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(tags.statusCode()).as(tags.body()).isEqualTo(404);
      assertThat(registry.storage().resolve("docker/registry/v2/repositories/images/bad"))
          .doesNotExist();
    }
  }

  /**
   * Writes the build's YAML: the boot test's kernel, busybox and init Layers and a stub Layer
   * pinned by digest, for one architecture (its console on the cmdline).
   *
   * @param tags "STUBTAG|KERNELTAG" to use other images than efi-stub and kernel, or ""
   */
  static String yaml(String arch, String extraSpec, String cmdlineExtra, String tags)
      throws IOException {
    String stubRef = "oci:" + layout + "@" + stubDigest;
    String kernelRef = "oci:" + layout + ":kernel";
    if (!tags.isEmpty()) {
      String[] t = tags.split("\\|");
      stubRef = t[0].equals("efi-stub") ? stubRef : "oci:" + layout + ":" + t[0];
      kernelRef = "oci:" + layout + ":" + t[1];
    }
    String console = arch.equals("amd64") ? "console=ttyS0" : "console=ttyAMA0";
    String cmdline = (console + " panic=-1 " + BootIT.CMDLINE + " " + cmdlineExtra).strip();
    String doc =
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: "%s"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: busybox}
        spec: {image: "oci:%s:busybox"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: init}
        spec: {image: "oci:%s:init"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: efi-stub}
        spec: {image: "%s"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata:
          name: efi
        spec:
          architectures: [%s]
          kernel:
            layer: kernel
            cmdline: "%s"
          init: [busybox, init]
          formats: %s
          uki:
            stub: {layer: efi-stub}
          files:
            - path: etc/lamina-release
              contents: "%s\\n"
              mode: "0644"
          %s
        """
            .formatted(
                kernelRef,
                layout,
                layout,
                stubRef,
                arch,
                cmdline,
                FORMATS,
                BootIT.RELEASE,
                extraSpec);
    Path file = Files.createTempFile(work, "efi-" + arch, ".yaml");
    Files.writeString(file, doc, UTF_8);
    return file.toString();
  }

  static List<String> lamina(List<String> jvm, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.addAll(List.of("-jar", System.getProperty("lamina.jar", "target/lamina.jar")));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static void run(List<String> command, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(work, "run", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    boolean done = p.waitFor(10, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    assertThat(done && p.exitValue() == 0)
        .as("%s\n%s", String.join(" ", command), Files.readString(log, UTF_8))
        .isTrue();
  }

  static String sh(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    return output;
  }

  @AfterAll
  static void summary() {
    LOG.info("EFI build times: {}", buildMillis);
  }
}

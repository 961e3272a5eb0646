package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Guards the boot harness and the Debian fixtures without Lamina: an initrd packed by cpio from the
 * same busybox and init must boot to the marker on both architectures.
 */
class QemuHarnessIT {
  static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path work;

  @ParameterizedTest
  @CsvSource({"amd64, x86_64", "arm64, aarch64"})
  void handPackedInitrdBootsToInit(String arch, String machine) throws Exception {
    Path root = work.resolve("root");
    stage(root, arch, TestImages.initScript());
    Path initrd = cpio(root, work.resolve("initrd.img"));

    QemuBoot.Result result =
        QemuBoot.boot(
            arch,
            DebianPackages.vmlinuz(arch),
            initrd,
            "lamina.check=harness",
            logDir().resolve("harness-" + arch + ".log"),
            TestImages.MARKER,
            TIMEOUT);

    assertThat(result.markerSeen()).as(result.console()).isTrue();
    assertThat(result.linesStartingWith(TestImages.MARKER)).containsExactly("arch=" + machine);
    assertThat(result.linesStartingWith("LAMINA-CMDLINE"))
        .singleElement()
        .asString()
        .contains("lamina.check=harness");
  }

  @Test
  void initrdWithoutInitEndsWithoutMarker() throws Exception {
    Path root = work.resolve("root");
    stage(root, "arm64", null);
    Path initrd = cpio(root, work.resolve("initrd.img"));

    QemuBoot.Result result =
        QemuBoot.boot(
            "arm64",
            DebianPackages.vmlinuz("arm64"),
            initrd,
            "",
            logDir().resolve("harness-no-init.log"),
            TestImages.MARKER,
            TIMEOUT);

    assertThat(result.markerSeen()).isFalse();
    // panic=-1 and -no-reboot end qemu on the panic, well before the timeout.
    assertThat(result.wallTime()).isLessThan(TIMEOUT);
    assertThat(result.console()).contains("Kernel panic");
  }

  static Path logDir() {
    return Path.of("target", "boot-logs").toAbsolutePath();
  }

  private static void stage(Path root, String arch, String init) throws IOException {
    Files.createDirectories(root.resolve("bin"));
    for (String dir : new String[] {"proc", "sys", "dev"}) {
      Files.createDirectories(root.resolve(dir));
    }
    Path busybox = root.resolve("bin/busybox");
    Files.copy(DebianPackages.busybox(arch), busybox);
    Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String applet : TestImages.APPLETS) {
      Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
    }
    if (init != null) {
      Path script = root.resolve("init");
      Files.writeString(script, init, UTF_8);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private static Path cpio(Path root, Path initrd) throws Exception {
    Process p =
        new ProcessBuilder(
                "sh", "-c", "find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -n")
            .directory(root.toFile())
            .redirectOutput(initrd.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return initrd;
  }
}

package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Debian packages of the boot tests (kernel, busybox, runc, …), unpacked by fetch-packages.sh.
 */
public final class DebianPackages {
  private static Path cache;

  private DebianPackages() {}

  /** Runs the fetch script once per JVM (it is idempotent and fast once cached). */
  public static synchronized Path cache() {
    if (cache == null) {
      cache = fetch();
    }
    return cache;
  }

  /** The kernel package's unpacked root for an architecture (amd64, arm64). */
  public static Path kernelPackage(String arch) {
    return cache().resolve(arch).resolve("kernel");
  }

  /** The kernel release, e.g. 6.1.0-56-arm64: the one directory under lib/modules. */
  public static String kernelRelease(String arch) {
    try (Stream<Path> dirs = Files.list(kernelPackage(arch).resolve("lib/modules"))) {
      List<Path> all = dirs.toList();
      if (all.size() != 1) {
        throw new IllegalStateException("expected one kernel release, found " + all);
      }
      return all.get(0).getFileName().toString();
    } catch (IOException e) {
      throw new IllegalStateException("kernel package for " + arch + " is not unpacked", e);
    }
  }

  public static Path vmlinuz(String arch) {
    return kernelPackage(arch).resolve("boot/vmlinuz-" + kernelRelease(arch));
  }

  public static Path modules(String arch) {
    return kernelPackage(arch).resolve("lib/modules").resolve(kernelRelease(arch));
  }

  /** The UKI stub of Debian's systemd-boot-efi: linuxx64.efi.stub or linuxaa64.efi.stub. */
  public static Path efiStub(String arch) {
    return cache().resolve(arch).resolve("systemd-boot-efi").resolve(efiStubPath(arch));
  }

  /** Where systemd-boot-efi installs the stub, relative to the root. */
  public static String efiStubPath(String arch) {
    return "usr/lib/systemd/boot/efi/linux" + (arch.equals("arm64") ? "aa64" : "x64") + ".efi.stub";
  }

  /** A package's unpacked root, e.g. runc, libseccomp2 or libc6 for the containers test. */
  public static Path packageRoot(String arch, String pkg) {
    return cache().resolve(arch).resolve(pkg);
  }

  public static Path busybox(String arch) {
    return cache().resolve(arch).resolve("busybox-static/bin/busybox");
  }

  private static Path fetch() {
    Path script = repoRoot().resolve("hack/boot/fetch-packages.sh");
    try {
      Path log = Files.createTempFile("fetch-packages", ".log");
      Process process =
          new ProcessBuilder("bash", script.toString())
              .redirectError(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      String out = new String(process.getInputStream().readAllBytes(), UTF_8).strip();
      if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(script + " failed:\n" + Files.readString(log, UTF_8));
      }
      Files.delete(log);
      return Path.of(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The repository root: failsafe passes it; from an IDE the module directory's parent. */
  public static Path repoRoot() {
    String configured = System.getProperty("lamina.repoRoot");
    Path root = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
    return root.toAbsolutePath().normalize();
  }
}

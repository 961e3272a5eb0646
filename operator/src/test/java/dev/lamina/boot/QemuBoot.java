package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Boots a kernel and initrd under qemu's software emulation and captures the serial console. */
public final class QemuBoot {
  private static final Logger LOG = LoggerFactory.getLogger(QemuBoot.class);
  private static final Pattern RUN_INIT =
      Pattern.compile("\\[\\s*(\\d+\\.\\d+)\\] Run /init as init process");

  /**
   * What a boot printed.
   *
   * @param console everything the serial console printed
   * @param markerSeen whether the marker appeared before the timeout or qemu's exit
   * @param wallTime from starting qemu to the marker (or to giving up)
   * @param kernelTimeToInit the kernel's own timestamp when it ran /init, if it got that far
   */
  public record Result(
      String console, boolean markerSeen, Duration wallTime, Double kernelTimeToInit) {
    /** The console lines that start with a prefix, without it. */
    public List<String> linesStartingWith(String prefix) {
      List<String> found = new ArrayList<>();
      for (String line : console.split("\r?\n")) {
        if (line.startsWith(prefix)) {
          found.add(line.substring(prefix.length()).strip());
        }
      }
      return found;
    }
  }

  private QemuBoot() {}

  /**
   * Boots and waits up to {@code timeout} for {@code marker} on the console; qemu is killed
   * whatever happens. {@code cmdline} follows the console and panic options the harness sets.
   */
  public static Result boot(
      String arch,
      Path kernel,
      Path initrd,
      String cmdline,
      Path consoleLog,
      String marker,
      Duration timeout)
      throws IOException {
    List<String> command = new ArrayList<>();
    String console;
    switch (arch) {
      case "amd64" -> {
        command.addAll(List.of("qemu-system-x86_64", "-M", "pc"));
        console = "ttyS0";
      }
      case "arm64" -> {
        command.addAll(List.of("qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57"));
        console = "ttyAMA0";
      }
      default -> throw new IllegalArgumentException("no qemu for architecture " + arch);
    }
    // panic=-1 with -no-reboot turns a kernel panic (e.g. no init) into qemu exiting at once.
    String append = ("console=" + console + " panic=-1 " + cmdline.strip()).strip();
    command.addAll(
        List.of(
            "-m",
            "512",
            "-nographic",
            "-no-reboot",
            "-nodefaults",
            "-serial",
            "stdio",
            "-kernel",
            kernel.toString(),
            "-initrd",
            initrd.toString(),
            "-append",
            append));
    return run(arch, command, consoleLog, marker, timeout);
  }

  /**
   * Runs a qemu {@code command} whose serial console is its standard output and waits up to {@code
   * timeout} for {@code marker}; qemu is killed whatever happens.
   */
  public static Result run(
      String arch, List<String> command, Path consoleLog, String marker, Duration timeout)
      throws IOException {
    Files.createDirectories(consoleLog.toAbsolutePath().getParent());
    LOG.info("booting {}: {}", arch, String.join(" ", command));
    long start = System.nanoTime();
    Process qemu =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(consoleLog.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    boolean seen;
    Duration wall;
    try {
      try {
        await()
            .atMost(timeout)
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> !qemu.isAlive() || read(consoleLog).contains(marker));
      } catch (ConditionTimeoutException e) {
        LOG.warn("{} boot: no '{}' within {}", arch, marker, timeout);
      }
      wall = Duration.ofNanos(System.nanoTime() - start);
      seen = read(consoleLog).contains(marker);
      if (seen) {
        // The init powers off right after the marker; let it, so the log ends with the kernel's
        // own lines rather than being cut.
        qemu.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while booting " + arch, e);
    } finally {
      qemu.destroyForcibly();
      try {
        qemu.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String text = read(consoleLog);
    Matcher m = RUN_INIT.matcher(text);
    Double toInit = m.find() ? Double.valueOf(m.group(1)) : null;
    LOG.info(
        "{} boot: marker {} after {} ms wall, kernel ran /init at {} s",
        arch,
        seen ? "seen" : "NOT seen",
        wall.toMillis(),
        toInit);
    return new Result(text, seen, wall, toInit);
  }

  private static String read(Path log) {
    try {
      // Not readString: a garbled byte on the console must not fail the read.
      return new String(Files.readAllBytes(log), UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

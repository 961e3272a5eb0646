package dev.lamina.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A containerd of its own for one test: config, root, state and sockets under {@code
 * /tmp/lamina-image-ctr-*}, without the CRI plugin, so it shares nothing with a cluster's
 * containerd on the same machine. Containers run with the machine's runc; arm64 ones through
 * qemu-user binfmt.
 */
final class PrivateContainerd implements AutoCloseable {
  static final String NAMESPACE = "lamina-image";
  private final Path dir;
  private final Process process;

  private PrivateContainerd(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  /** Why containers cannot run here, or null when they can. */
  static String missing() {
    for (String tool : List.of("containerd", "ctr", "runc")) {
      if (!onPath(tool)) {
        return tool + " is not installed (hack/install-deps.sh installs containerd and runc)";
      }
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return "containerd needs root";
    }
    Path binfmt = Path.of("/proc/sys/fs/binfmt_misc/qemu-aarch64");
    try {
      if (!Files.exists(binfmt) || !Files.readString(binfmt).startsWith("enabled")) {
        return "arm64 binaries cannot run: qemu-aarch64 binfmt is not enabled"
            + " (hack/install-deps.sh enables it)";
      }
    } catch (IOException e) {
      return "cannot read " + binfmt + ": " + e.getMessage();
    }
    return null;
  }

  private static boolean onPath(String tool) {
    for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, tool))) {
        return true;
      }
    }
    return false;
  }

  static PrivateContainerd start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "lamina-image-ctr-");
    Path config = dir.resolve("config.toml");
    Files.writeString(
        config,
        """
        version = 2
        root = "%1$s/root"
        state = "%1$s/state"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        [grpc]
          address = "%1$s/containerd.sock"
        [ttrpc]
          address = "%1$s/containerd.sock.ttrpc"
        [debug]
          address = "%1$s/debug.sock"
        [plugins."io.containerd.internal.v1.opt"]
          path = "%1$s/opt"
        """
            .formatted(dir));
    Process p =
        new ProcessBuilder("containerd", "--config", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("containerd.log").toFile())
            .start();
    PrivateContainerd ctr = new PrivateContainerd(dir, p);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (true) {
      if (Files.exists(dir.resolve("containerd.sock")) && ctr.ctr("version").exit() == 0) {
        return ctr;
      }
      if (!p.isAlive() || Instant.now().isAfter(deadline)) {
        String log = Files.readString(dir.resolve("containerd.log"));
        ctr.close();
        throw new IOException("containerd did not start: " + log);
      }
      Thread.sleep(200);
    }
  }

  record Run(int exit, String stdout, String stderr) {}

  /** Runs {@code ctr} against this containerd, in its namespace. */
  Run ctr(String... args) throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "ctr", "--address", dir.resolve("containerd.sock").toString(), "-n", NAMESPACE));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "ctr", ".out");
    Path err = Files.createTempFile(dir, "ctr", ".err");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("ctr " + String.join(" ", args) + " did not finish in 10 minutes");
    }
    Run run = new Run(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      // Snapshots hold root-owned files of every mode; rm copes with all of them.
      new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

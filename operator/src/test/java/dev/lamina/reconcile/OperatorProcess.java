package dev.lamina.reconcile;

import static org.awaitility.Awaitility.await;

import dev.lamina.testing.ControlPlane;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar lamina.jar operator} as its own process against the test control plane, as a
 * Deployment would run it: its own JVM, so a kill loses everything it held in memory.
 */
final class OperatorProcess implements AutoCloseable {
  final Process process;
  final Path log;

  private static final Pattern PORT = Pattern.compile("health and metrics on port (\\d+)");

  private OperatorProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts the operator with health on a free loopback port and the test builder image.
   *
   * @param jvmOptions options before {@code -jar}, e.g. {@code -Xmx512m}
   * @param operatorArgs further options of {@code lamina operator}
   */
  static OperatorProcess start(
      ControlPlane cluster, List<String> jvmOptions, String... operatorArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-jar",
            System.getProperty("lamina.jar"),
            "operator",
            "--health-port",
            "0",
            "--health-address",
            "127.0.0.1",
            "--builder-image",
            OperatorTestSupport.BUILDER_IMAGE));
    command.addAll(List.of(operatorArgs));
    Path log = Files.createTempFile("lamina-operator-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("KUBECONFIG", cluster.kubeconfigPath().toString());
    return new OperatorProcess(pb.start(), log);
  }

  /**
   * The options that give the process the same short intervals as {@link
   * OperatorTestSupport#settings()}.
   */
  static String[] testSettings() {
    OperatorSettings s = OperatorTestSupport.settings();
    return new String[] {
      "--tag-resolve-interval", s.tagResolveInterval().toString(),
      "--no-node-grace", s.noNodeGrace().toString(),
      "--retry-backoff", s.retryBackoff().toString()
    };
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or cleaned up. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("operator " + pid() + " survived SIGKILL");
    }
  }

  /** The port of its /healthz, /readyz and /metrics, once it has logged it. */
  int metricsPort() {
    return await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Matcher m = PORT.matcher(output());
              return m.find() ? Integer.parseInt(m.group(1)) : -1;
            },
            p -> p > 0);
  }

  /** What the process wrote so far, for assertion messages. */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Stops it as Kubernetes would stop a pod: SIGTERM, then SIGKILL after a grace period. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}

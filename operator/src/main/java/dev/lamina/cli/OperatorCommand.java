package dev.lamina.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lamina.assemble.UnionLimits;
import dev.lamina.logging.LogFormat;
import dev.lamina.oci.RegistryTimeouts;
import dev.lamina.reconcile.OperatorMain;
import dev.lamina.reconcile.OperatorSettings;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.io.IOException;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the operator against the kubeconfig or the in-cluster configuration. */
@Command(
    name = "operator",
    description = "Run the Lamina operator.",
    mixinStandardHelpOptions = true,
    showDefaultValues = true)
public final class OperatorCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);

  @Option(
      names = "--health-port",
      defaultValue = "8081",
      description = "Port of /healthz, /readyz and /metrics (0 picks a free one).")
  int healthPort;

  @Option(
      names = "--health-address",
      defaultValue = "0.0.0.0",
      description = "Address the health and metrics endpoints listen on.")
  String healthAddress;

  @Option(
      names = "--tag-resolve-interval",
      defaultValue = "PT10M",
      description = "How often a Layer's tag is resolved again (ISO-8601 duration, e.g. PT10M).")
  Duration tagResolveInterval;

  @Option(
      names = "--no-node-grace",
      defaultValue = "PT2M",
      description = "How long a build pod may wait unscheduled before NoNodeForArchitecture.")
  Duration noNodeGrace;

  @Option(
      names = "--retry-backoff",
      defaultValue = "PT10S",
      description = "Delay before retrying a failed build; doubles per attempt.")
  Duration retryBackoff;

  @Option(
      names = "--builder-image",
      defaultValue = "${env:LAMINA_BUILDER_IMAGE}",
      description =
          "Image of the build pods (env LAMINA_BUILDER_IMAGE). In a cluster leave it unset: the"
              + " operator reads its own image digest from its pod (env POD_NAME, POD_NAMESPACE).")
  String builderImage;

  @Option(
      names = "--own-image-wait",
      defaultValue = "PT1M",
      description = "How long to wait for the own pod's status to name its image digest.")
  Duration ownImageWait;

  @Option(
      names = "--insecure-registry",
      split = ",",
      description = "Registry (host[:port]) to reach over plain HTTP; loopback always is.")
  List<String> insecureRegistries = new ArrayList<>();

  @Mixin RegistryTimeoutOptions timeoutOptions = new RegistryTimeoutOptions();

  @Option(
      names = "--max-uncompressed-bytes",
      defaultValue = "${env:LAMINA_MAX_UNCOMPRESSED_BYTES:-32Gi}",
      description =
          "Most file contents one build may unpack (a quantity such as 32Gi); a larger"
              + " spec.build.limits.maxUncompressedBytes is lowered to it"
              + " (env LAMINA_MAX_UNCOMPRESSED_BYTES).")
  String maxUncompressedBytes;

  @Option(
      names = "--max-entries",
      defaultValue = "${env:LAMINA_MAX_ENTRIES:-2000000}",
      description =
          "Most tar entries one build may read; a larger spec.build.limits.maxEntries is lowered"
              + " to it (env LAMINA_MAX_ENTRIES).")
  long maxEntries;

  @Option(
      names = "--namespaces",
      split = ",",
      defaultValue = "${env:LAMINA_NAMESPACES}",
      description =
          "Namespaces whose Layers and OSImages to reconcile, comma-separated; all when empty"
              + " (env LAMINA_NAMESPACES). ImagePolicies, Namespaces and Nodes are cluster-scoped"
              + " and always read whole.")
  List<String> namespaces = new ArrayList<>();

  @Option(
      names = "--leader-election",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Reconcile only while holding the Lease "
              + OperatorMain.LEASE_NAME
              + " in --lease-namespace, so that replicas take over from each other; without a"
              + " lease namespace there is no election. Default: on.")
  boolean leaderElection;

  @Option(
      names = "--lease-namespace",
      defaultValue = "${env:POD_NAMESPACE}",
      description = "Namespace of the leader-election Lease (env POD_NAMESPACE).")
  String leaseNamespace;

  @Option(
      names = "--lease-identity",
      defaultValue = "${env:POD_NAME}",
      description =
          "This replica's name in the Lease (env POD_NAME; else the host name and process id).")
  String leaseIdentity;

  @Option(
      names = "--lease-duration",
      defaultValue = "PT15S",
      description = "How long a Lease not renewed holds before another replica takes it over.")
  Duration leaseDuration;

  @Option(
      names = "--lease-renew-deadline",
      defaultValue = "PT10S",
      description = "How long the leader keeps trying to renew before it gives up and exits.")
  Duration leaseRenewDeadline;

  @Option(
      names = "--lease-retry-period",
      defaultValue = "PT2S",
      description = "How often replicas try to take or renew the Lease.")
  Duration leaseRetryPeriod;

  @Option(
      names = "--log-format",
      defaultValue = "${env:LAMINA_LOG_FORMAT:-text}",
      description =
          "Log lines on stderr as text or json (one object per line; env LAMINA_LOG_FORMAT):"
              + " ${COMPLETION-CANDIDATES}.")
  LogFormat logFormat;

  @Option(
      names = "--max-build-pods",
      defaultValue = "${env:LAMINA_MAX_BUILD_PODS:-4}",
      description =
          "Build pods at once in the whole cluster; OSImages beyond it wait in phase Queued, first"
              + " come first served. 0: no limit. Default ${DEFAULT-VALUE} (env"
              + " LAMINA_MAX_BUILD_PODS).")
  int maxBuildPods;

  @Override
  public Integer call() throws Exception {
    logFormat.apply();
    String podName = System.getenv("POD_NAME");
    String podNamespace = System.getenv("POD_NAMESPACE");
    boolean inOwnPod = podName != null && !podName.isBlank() && podNamespace != null;
    if ((builderImage == null || builderImage.isBlank()) && !inOwnPod) {
      System.err.println(
          "lamina operator: set --builder-image or LAMINA_BUILDER_IMAGE to the operator's own"
              + " image, or run it in a pod with POD_NAME and POD_NAMESPACE set");
      return 2;
    }
    RegistryTimeouts timeouts;
    try {
      timeouts = timeoutOptions.timeouts();
    } catch (IllegalArgumentException e) {
      System.err.println("lamina operator: registry timeouts: " + e.getMessage());
      return 2;
    }
    UnionLimits maxLimits;
    try {
      maxLimits = new UnionLimits(bytes(maxUncompressedBytes), maxEntries);
    } catch (IllegalArgumentException e) {
      System.err.println(
          "lamina operator: --max-uncompressed-bytes, --max-entries: " + e.getMessage());
      return 2;
    }
    OperatorMain.LeaderElection election = null;
    if (leaderElection && leaseNamespace != null && !leaseNamespace.isBlank()) {
      String identity =
          leaseIdentity == null || leaseIdentity.isBlank()
              ? InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid()
              : leaseIdentity;
      try {
        election =
            new OperatorMain.LeaderElection(
                leaseNamespace, identity, leaseDuration, leaseRenewDeadline, leaseRetryPeriod);
      } catch (IllegalArgumentException e) {
        System.err.println("lamina operator: leader election: " + e.getMessage());
        return 2;
      }
    }
    List<String> watched =
        namespaces.stream().map(String::strip).filter(n -> !n.isEmpty()).toList();
    KubernetesClient client = KubeClients.create();
    if (builderImage == null || builderImage.isBlank()) {
      try {
        builderImage = OwnImage.lookUp(client, podNamespace, podName, ownImageWait);
      } catch (IllegalStateException e) {
        System.err.println("lamina operator: " + e.getMessage());
        client.close();
        return 2;
      }
    }
    LOG.info("build pods run {}", builderImage);
    LOG.info(
        "reconciling {}; {}",
        watched.isEmpty() ? "all namespaces" : "namespaces " + String.join(", ", watched),
        election == null
            ? "no leader election"
            : "leader election: Lease "
                + election.namespace()
                + "/"
                + OperatorMain.LEASE_NAME
                + " as "
                + election.identity());
    OperatorSettings settings =
        new OperatorSettings(
            tagResolveInterval,
            noNodeGrace,
            builderImage,
            Set.copyOf(insecureRegistries),
            retryBackoff,
            timeouts,
            maxLimits,
            maxBuildPods);
    OperatorMain operator =
        new OperatorMain(client, settings, new OperatorMain.Options(Set.copyOf(watched), election));
    // The process's own: heap and GC, so a Deployment's memory limit can be checked against use.
    new JvmMemoryMetrics().bindTo(operator.meters());
    new JvmGcMetrics().bindTo(operator.meters());
    new ProcessorMetrics().bindTo(operator.meters());
    HttpServer health = HttpServer.create(new InetSocketAddress(healthAddress, healthPort), 0);
    health.createContext("/healthz", ex -> respond(ex, operator.isHealthy()));
    health.createContext("/readyz", ex -> respond(ex, operator.isReady()));
    health.createContext("/metrics", ex -> metrics(ex, operator));
    health.start();
    LOG.info("health and metrics on port {}", health.getAddress().getPort());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  operator.stop();
                  health.stop(0);
                  client.close();
                  stopped.countDown();
                }));
    operator.start();
    stopped.await();
    return 0;
  }

  static long bytes(String quantity) {
    try {
      return Quantity.getAmountInBytes(new Quantity(quantity))
          .setScale(0, RoundingMode.CEILING)
          .longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("\"" + quantity + "\" is not a size such as 32Gi");
    }
  }

  private static void metrics(HttpExchange ex, OperatorMain operator) throws IOException {
    byte[] body = operator.scrape().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    ex.sendResponseHeaders(200, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static void respond(HttpExchange ex, boolean ok) throws IOException {
    byte[] body = (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}

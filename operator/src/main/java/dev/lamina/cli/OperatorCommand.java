package dev.lamina.cli;

import com.sun.net.httpserver.HttpServer;
import dev.lamina.assemble.UnionLimits;
import dev.lamina.oci.RegistryTimeouts;
import dev.lamina.reconcile.OperatorMain;
import dev.lamina.reconcile.OperatorSettings;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.math.RoundingMode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs the operator against the kubeconfig or the in-cluster configuration. */
@Command(
    name = "operator",
    description = "Run the Lamina operator.",
    mixinStandardHelpOptions = true)
public final class OperatorCommand implements Callable<Integer> {
  @Option(
      names = "--health-port",
      defaultValue = "8081",
      description = "Port of /healthz and /readyz (0 picks a free one).")
  int healthPort;

  @Option(
      names = "--health-address",
      defaultValue = "0.0.0.0",
      description = "Address the health endpoints listen on.")
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
      names = "--max-build-pods",
      defaultValue = "${env:LAMINA_MAX_BUILD_PODS:-4}",
      description =
          "Build pods at once in the whole cluster; OSImages beyond it wait in phase Queued, first"
              + " come first served. 0: no limit. Default ${DEFAULT-VALUE} (env"
              + " LAMINA_MAX_BUILD_PODS).")
  int maxBuildPods;

  @Override
  public Integer call() throws Exception {
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
    KubernetesClient client = new KubernetesClientBuilder().build();
    if (builderImage == null || builderImage.isBlank()) {
      try {
        builderImage = OwnImage.lookUp(client, podNamespace, podName, ownImageWait);
      } catch (IllegalStateException e) {
        System.err.println("lamina operator: " + e.getMessage());
        client.close();
        return 2;
      }
    }
    System.err.println("lamina operator: build pods run " + builderImage);
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
    OperatorMain operator = new OperatorMain(client, settings);
    HttpServer health = HttpServer.create(new InetSocketAddress(healthAddress, healthPort), 0);
    health.createContext("/healthz", ex -> respond(ex, operator.isHealthy()));
    health.createContext("/readyz", ex -> respond(ex, operator.isReady()));
    health.start();
    System.err.println("lamina operator: health on port " + health.getAddress().getPort());
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

  private static void respond(com.sun.net.httpserver.HttpExchange ex, boolean ok)
      throws java.io.IOException {
    byte[] body = (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}

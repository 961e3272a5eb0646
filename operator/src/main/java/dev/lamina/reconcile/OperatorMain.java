package dev.lamina.reconcile;

import dev.lamina.metrics.LaminaMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/** Wires Lamina's reconcilers into a JOSDK operator; used by the CLI and by the tests. */
public final class OperatorMain {
  /** The Lease that operator replicas compete for; only its holder reconciles. */
  public static final String LEASE_NAME = "lamina-operator";

  private final Operator operator;
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /**
   * Where the operator works and whether it competes for leadership.
   *
   * @param namespaces the namespaces whose Layers and OSImages (and build pods, plan ConfigMaps) it
   *     watches; empty for all. ImagePolicies, Namespaces and Nodes are cluster-scoped and always
   *     watched whole.
   * @param leaderElection null to reconcile without a Lease (one replica only)
   */
  public record Options(Set<String> namespaces, LeaderElection leaderElection) {
    public static final Options ALL_NAMESPACES = new Options(Set.of(), null);

    public Options {
      namespaces = Set.copyOf(namespaces);
    }
  }

  /**
   * Competing for the Lease {@value #LEASE_NAME} in {@code namespace} as {@code identity}: a
   * replica reconciles only while it holds the Lease, renewing it within {@code renewDeadline};
   * another replica takes it over once {@code leaseDuration} passed without renewal. A replica that
   * loses the Lease exits, so that it starts again as a follower with nothing half-done in memory.
   */
  public record LeaderElection(
      String namespace,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod) {
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(15);
    public static final Duration DEFAULT_RENEW_DEADLINE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RETRY_PERIOD = Duration.ofSeconds(2);

    public LeaderElection {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(identity, "identity");
      if (renewDeadline.compareTo(leaseDuration) >= 0
          || retryPeriod.compareTo(renewDeadline) >= 0) {
        throw new IllegalArgumentException(
            "need retry period < renew deadline < lease duration, got "
                + retryPeriod
                + ", "
                + renewDeadline
                + ", "
                + leaseDuration);
      }
    }
  }

  public OperatorMain(KubernetesClient client, OperatorSettings settings) {
    this(client, settings, Options.ALL_NAMESPACES);
  }

  public OperatorMain(KubernetesClient client, OperatorSettings settings, Options options) {
    LaminaMetrics metrics = new LaminaMetrics(registry);
    this.operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withStopOnInformerErrorDuringStartup(true)
                  // The caller owns the client: tests share one across operator restarts.
                  .withCloseClientOnStop(false)
                  .withMetrics(metrics);
              LeaderElection le = options.leaderElection();
              if (le != null) {
                o.withLeaderElectionConfiguration(
                    LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME)
                        .withLeaseNamespace(le.namespace())
                        .withIdentity(le.identity())
                        .withLeaseDuration(le.leaseDuration())
                        .withRenewDeadline(le.renewDeadline())
                        .withRetryPeriod(le.retryPeriod())
                        .build());
              }
            });
    Registries registries =
        new Registries(client, settings.insecureRegistries(), settings.registryTimeouts());
    PolicySet policies = new PolicySet();
    Clock clock = Clock.systemUTC();
    register(
        new LayerReconciler(settings, registries, policies, client, clock), options.namespaces());
    register(
        new OSImageReconciler(settings, registries, policies, client, clock), options.namespaces());
    // Cluster-scoped: watched whole whatever the namespaces.
    operator.register(new ImagePolicyReconciler(client.getKubernetesSerialization()));
  }

  private <P extends io.fabric8.kubernetes.api.model.HasMetadata> void register(
      Reconciler<P> reconciler, Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      operator.register(reconciler);
    } else {
      operator.register(reconciler, o -> o.settingNamespaces(new TreeSet<>(namespaces)));
    }
  }

  public void start() {
    operator.start();
  }

  public void stop() {
    operator.stop();
  }

  public boolean isHealthy() {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  public boolean isReady() {
    return isHealthy();
  }

  /** The metrics in Prometheus' text format, for {@code /metrics}. */
  public String scrape() {
    return registry.scrape();
  }

  /** The registry behind {@link #scrape()}, for tests that read a meter directly. */
  public io.micrometer.core.instrument.MeterRegistry meters() {
    return registry;
  }
}

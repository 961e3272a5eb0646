package dev.lamina.metrics;

import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyVerdict;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Lamina's metrics beside JOSDK's: JOSDK's reconcile counters and timers ({@code operator.sdk.*},
 * from {@link MicrometerMetrics}) and the builds, cache hits and policy denials the reconcilers
 * report. It is the operator's {@link Metrics}, so a reconciler finds it through its context
 * ({@link #of(Context)}) and needs no constructor argument.
 *
 * <p>Names, as Prometheus shows them: {@code lamina_builds_started_total{architecture}}, {@code
 * lamina_builds_succeeded_total{architecture}}, {@code lamina_builds_failed_total{architecture,
 * reason}} (each failed attempt, retried or not), {@code
 * lamina_build_duration_seconds{architecture,outcome}} (pod created to container finished), {@code
 * lamina_cache_hits_total}, {@code lamina_policy_denials_total{kind}}, {@code
 * lamina_osimages{phase}} and {@code lamina_build_queue_length} (OSImages in phase Queued).
 */
public final class LaminaMetrics implements Metrics {
  /** Reports to nothing: for an operator configured without Lamina's metrics. */
  private static final LaminaMetrics NONE = new LaminaMetrics(new CompositeMeterRegistry());

  /** The phase of an OSImage waiting for a build slot (the operator's concurrent-build limit). */
  static final String QUEUED = "Queued";

  private final MeterRegistry registry;
  private final Metrics josdk;
  private final Set<String> denied = ConcurrentHashMap.newKeySet();

  public LaminaMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.josdk = MicrometerMetrics.withoutPerResourceMetrics(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The operator's Lamina metrics, from a reconciler's context. */
  public static LaminaMetrics of(Context<?> context) {
    return of(context.getControllerConfiguration());
  }

  /** The operator's Lamina metrics, while event sources are prepared. */
  public static LaminaMetrics of(EventSourceContext<?> context) {
    return of(context.getControllerConfiguration());
  }

  private static LaminaMetrics of(ControllerConfiguration<?> configuration) {
    return configuration.getConfigurationService().getMetrics() instanceof LaminaMetrics m
        ? m
        : NONE;
  }

  /** A build pod was created: the first attempt or a retry. */
  public void buildStarted(String architecture) {
    counter("lamina.builds.started", "Build pods started, retries included", architecture)
        .increment();
  }

  /** A build pod succeeded; {@code pod} (may be null) gives the duration. */
  public void buildSucceeded(String architecture, Pod pod) {
    counter("lamina.builds.succeeded", "Build pods that pushed their manifest", architecture)
        .increment();
    duration(architecture, "Succeeded", pod);
  }

  /** A build attempt failed with {@code reason} (e.g. RegistryError, OOMKilled, PodDeleted). */
  public void buildFailed(String architecture, String reason, Pod pod) {
    Counter.builder("lamina.builds.failed")
        .description("Failed build attempts, by reason; a retry may follow")
        .tag("architecture", Objects.toString(architecture, ""))
        .tag("reason", Objects.toString(reason, "Unknown"))
        .register(registry)
        .increment();
    duration(architecture, "Failed", pod);
  }

  /** An OSImage's index was found in the registry under its input digest: no build ran. */
  public void cacheHit() {
    Counter.builder("lamina.cache.hits")
        .description("OSImages whose artifacts were already in the registry")
        .register(registry)
        .increment();
  }

  /**
   * Policy denies {@code object} (an OSImage or a Layer); counted once per object and generation,
   * however often its reconciles see the denial (a reconcile may read a status older than its own
   * last write).
   */
  public void policyDenied(HasMetadata object) {
    if (denied.add(deniedKey(object))) {
      Counter.builder("lamina.policy.denials")
          .description("Objects (per generation) that policy denied")
          .tag("kind", object.getKind())
          .register(registry)
          .increment();
    }
  }

  private static String deniedKey(HasMetadata o) {
    return o.getKind() + "/" + o.getMetadata().getUid() + "/" + o.getMetadata().getGeneration();
  }

  /**
   * Counts a policy denial when the status a Layer reconcile writes denies it and the Layer's
   * status did not; returns {@code control} unchanged.
   */
  public UpdateControl<Layer> layerReconciled(Layer layer, UpdateControl<Layer> control) {
    LayerStatus written = control.getResource().map(Layer::getStatus).orElse(layer.getStatus());
    if (denied(written)) {
      policyDenied(layer);
    } else {
      denied.remove(deniedKey(layer));
    }
    return control;
  }

  private static boolean denied(LayerStatus status) {
    return status != null
        && status.getPolicy() != null
        && status.getPolicy().getVerdict() == PolicyVerdict.Deny;
  }

  /**
   * Gauges over the OSImages the operator knows, read when scraped: how many are in each phase, and
   * how many are Queued for a build slot.
   *
   * @param osImages the OSImages, e.g. the controller's primary cache
   */
  public void watchOSImages(Supplier<Stream<OSImage>> osImages) {
    PhaseCounts counts = new PhaseCounts(osImages);
    for (Phase phase : Phase.values()) {
      Gauge.builder("lamina.osimages", () -> counts.of(phase.name()))
          .description("OSImages by phase")
          .tag("phase", phase.name())
          .register(registry);
    }
    Gauge.builder("lamina.build.queue.length", () -> counts.of(QUEUED))
        .description("OSImages waiting for a build slot")
        .register(registry);
  }

  /**
   * The OSImages per phase, counted in one pass over the cache for all the gauges of a scrape
   * rather than one pass per gauge (a pass over a fleet of 5000 costs milliseconds); a count is at
   * most a second old.
   */
  static final class PhaseCounts {
    private static final long FRESH_NANOS = 1_000_000_000L;
    private final Supplier<Stream<OSImage>> osImages;
    private long countedAt;
    private Map<String, Long> counts;

    PhaseCounts(Supplier<Stream<OSImage>> osImages) {
      this.osImages = osImages;
    }

    synchronized long of(String phase) {
      long now = System.nanoTime();
      if (counts == null || now - countedAt > FRESH_NANOS) {
        counts =
            osImages
                .get()
                .filter(o -> o.getStatus() != null && o.getStatus().getPhase() != null)
                .collect(
                    Collectors.groupingBy(
                        o -> o.getStatus().getPhase().name(), Collectors.counting()));
        countedAt = now;
      }
      return counts.getOrDefault(phase, 0L);
    }
  }

  private Counter counter(String name, String description, String architecture) {
    return Counter.builder(name)
        .description(description)
        .tag("architecture", Objects.toString(architecture, ""))
        .register(registry);
  }

  private void duration(String architecture, String outcome, Pod pod) {
    Duration d = elapsed(pod);
    if (d == null) {
      return;
    }
    Timer.builder("lamina.build.duration")
        .description("From a build pod's creation to its container's end")
        .tag("architecture", Objects.toString(architecture, ""))
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        // Builds take seconds to an hour or so: no buckets below or above.
        .minimumExpectedValue(Duration.ofSeconds(1))
        .maximumExpectedValue(Duration.ofHours(2))
        .register(registry)
        .record(d);
  }

  /** From the pod's creation to its container's end, when the pod says both. */
  static Duration elapsed(Pod pod) {
    if (pod == null
        || pod.getMetadata().getCreationTimestamp() == null
        || pod.getStatus() == null
        || pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
      ContainerStateTerminated t = c.getState() == null ? null : c.getState().getTerminated();
      if (t != null && t.getFinishedAt() != null) {
        Duration d =
            Duration.between(
                Instant.parse(pod.getMetadata().getCreationTimestamp()),
                Instant.parse(t.getFinishedAt()));
        return d.isNegative() ? Duration.ZERO : d;
      }
    }
    return null;
  }

  // JOSDK's own metrics, unchanged.

  @Override
  public void controllerRegistered(Controller<? extends HasMetadata> controller) {
    josdk.controllerRegistered(controller);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    josdk.receivedEvent(event, metadata);
  }

  @Override
  public void reconcileCustomResource(
      HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    josdk.reconcileCustomResource(resource, retryInfo, metadata);
  }

  @Override
  public void failedReconciliation(
      HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    josdk.failedReconciliation(resource, exception, metadata);
  }

  @Override
  public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
    josdk.reconciliationExecutionStarted(resource, metadata);
  }

  @Override
  public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
    josdk.reconciliationExecutionFinished(resource, metadata);
  }

  @Override
  public void cleanupDoneFor(ResourceID resourceID, Map<String, Object> metadata) {
    josdk.cleanupDoneFor(resourceID, metadata);
  }

  @Override
  public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
    josdk.finishedReconciliation(resource, metadata);
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    return josdk.timeControllerExecution(execution);
  }

  @Override
  public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
    return josdk.monitorSizeOf(map, name);
  }
}

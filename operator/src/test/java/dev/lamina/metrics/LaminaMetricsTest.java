package dev.lamina.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LaminaMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final LaminaMetrics metrics = new LaminaMetrics(registry);

  @Test
  void aDenialCountsOncePerObjectAndGenerationHoweverOftenItIsSeen() {
    Layer layer = layer(1L, null);
    UpdateControl<Layer> deny = UpdateControl.patchStatus(layer(1L, PolicyVerdict.Deny));
    metrics.layerReconciled(layer, deny);
    // A later reconcile that read the status from before the first write denies again.
    metrics.layerReconciled(layer, deny);
    metrics.layerReconciled(layer(1L, PolicyVerdict.Deny), UpdateControl.noUpdate());
    assertThat(denials()).isEqualTo(1);

    // Allowed, then denied again: a new denial.
    metrics.layerReconciled(layer, UpdateControl.patchStatus(layer(1L, PolicyVerdict.Pass)));
    metrics.layerReconciled(layer, deny);
    assertThat(denials()).isEqualTo(2);
    // A new generation that is denied too.
    metrics.layerReconciled(
        layer(2L, null), UpdateControl.patchStatus(layer(2L, PolicyVerdict.Deny)));
    assertThat(denials()).isEqualTo(3);
  }

  @Test
  void buildsAreCountedByArchitectureAndReasonWithTheirDuration() {
    metrics.buildStarted("arm64");
    metrics.buildFailed(
        "arm64", "RegistryError", pod("2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z"));
    metrics.buildStarted("arm64");
    metrics.buildSucceeded("arm64", pod("2026-01-01T00:02:00Z", "2026-01-01T00:02:10Z"));
    metrics.buildFailed("arm64", "PodDeleted", null);

    assertThat(registry.get("lamina.builds.started").tag("architecture", "arm64").counter().count())
        .isEqualTo(2);
    assertThat(
            registry
                .get("lamina.builds.failed")
                .tags("architecture", "arm64", "reason", "RegistryError")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("lamina.build.duration")
                .tag("outcome", "Failed")
                .timer()
                .totalTime(java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(90);
    assertThat(registry.get("lamina.build.duration").tag("outcome", "Succeeded").timer().count())
        .isEqualTo(1);
    assertThat(LaminaMetrics.elapsed(pod("2026-01-01T00:02:00Z", "2026-01-01T00:02:10Z")))
        .isEqualTo(Duration.ofSeconds(10));
  }

  private double denials() {
    return registry.find("lamina.policy.denials").tag("kind", "Layer").counter() == null
        ? 0
        : registry.get("lamina.policy.denials").tag("kind", "Layer").counter().count();
  }

  private static Layer layer(Long generation, PolicyVerdict verdict) {
    Layer l = new Layer();
    l.setMetadata(
        new ObjectMetaBuilder()
            .withName("base")
            .withNamespace("ns")
            .withUid("uid-1")
            .withGeneration(generation)
            .build());
    l.setSpec(new LayerSpec("example.com/base:v1"));
    if (verdict != null) {
      LayerStatus status = new LayerStatus();
      PolicyStatus policy = new PolicyStatus();
      policy.setVerdict(verdict);
      status.setPolicy(policy);
      l.setStatus(status);
    }
    return l;
  }

  private static Pod pod(String created, String finished) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewStatus()
        .addNewContainerStatus()
        .withName("build")
        .withNewState()
        .withNewTerminated()
        .withExitCode(0)
        .withFinishedAt(finished)
        .endTerminated()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void phaseGaugesOfOneScrapeCountTheFleetOnce() {
    List<OSImage> fleet = new ArrayList<>();
    for (Phase p : List.of(Phase.Ready, Phase.Ready, Phase.Queued, Phase.Building)) {
      OSImage o = new OSImage();
      o.setStatus(new OSImageStatus());
      o.getStatus().setPhase(p);
      fleet.add(o);
    }
    fleet.add(new OSImage()); // no status yet: in no phase
    AtomicInteger passes = new AtomicInteger();
    metrics.watchOSImages(
        () -> {
          passes.incrementAndGet();
          return fleet.stream();
        });

    assertThat(registry.get("lamina.osimages").tag("phase", "Ready").gauge().value()).isEqualTo(2);
    assertThat(registry.get("lamina.osimages").tag("phase", "Failed").gauge().value()).isZero();
    assertThat(registry.get("lamina.build.queue.length").gauge().value()).isEqualTo(1);
    assertThat(registry.get("lamina.osimages").tag("phase", "Building").gauge().value())
        .isEqualTo(1);
    assertThat(passes).hasValue(1);
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.reconcile.BuildStateMachine.PodAction;
import dev.lamina.reconcile.BuildStateMachine.Step;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one OSImage reconcile tells users (Kubernetes Events) and the operator's metrics: the one
 * place that decides which transitions are worth an Event or a count.
 */
final class OSImageEvents {
  private static final Logger LOG = LoggerFactory.getLogger(OSImageEvents.class);

  private final Events events;
  private final LaminaMetrics metrics;

  OSImageEvents(Events events, LaminaMetrics metrics) {
    this.events = events;
    this.metrics = metrics;
  }

  /** An architecture's step: an attempt started, a build succeeded, or an attempt failed. */
  void stepped(OSImage image, ArchitectureStatus current, Step step, Optional<Pod> pod) {
    ArchitectureStatus next = step.status();
    String arch = next.getArchitecture();
    if (step.action() == PodAction.START) {
      metrics.buildStarted(arch);
      String started =
          "Started %s (%s, attempt %d).".formatted(next.getPod(), arch, next.getAttempts());
      events.emit(image, Events.NORMAL, "BuildStarted", started);
    } else if (step.succeeded() && current.getState() != BuildState.Succeeded) {
      metrics.buildSucceeded(arch, pod.orElse(null));
    } else if (next.getState() == BuildState.Failed && current.getState() != BuildState.Failed) {
      metrics.buildFailed(arch, next.getReason(), pod.orElse(null));
      if (next.getNextAttemptAt() != null) {
        LOG.info(
            "{} attempt {} failed ({}); retrying at {}",
            arch,
            next.getAttempts(),
            next.getReason(),
            next.getNextAttemptAt());
        String msg =
            "%s attempt %d failed (%s: %s); attempt %d follows."
                .formatted(
                    arch,
                    next.getAttempts(),
                    next.getReason(),
                    next.getMessage(),
                    next.getAttempts() + 1);
        events.emit(image, Events.WARNING, "BuildRetried", msg);
      }
    }
  }

  /** The build failed for good: said once, when the image turns Failed. */
  void buildFailed(OSImage image, Verdict verdict) {
    if (!was(image, Phase.Failed)) {
      String reason =
          PodOutcome.IMAGE_PULL_FAILED.equals(verdict.reason()) ? verdict.reason() : "BuildFailed";
      events.emit(image, Events.WARNING, reason, verdict.message());
    }
  }

  void rebuildRequested(OSImage image, String asked, List<String> retried) {
    LOG.info("rebuild {} requested: retrying {}", asked, retried);
    String msg =
        "Retrying %s (%s=%s)."
            .formatted(String.join(", ", retried), Lamina.REBUILD_ANNOTATION, asked);
    events.emit(image, Events.NORMAL, "RebuildRequested", msg);
  }

  /** The index of {@code input} was in the registry already. */
  void cacheHit(OSImage image, String input, String digest, String repository) {
    OSImageStatus old = image.getStatus();
    if (old == null || !input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready) {
      metrics.cacheHit();
    }
    // Only when the cache spared a build that a changed input would have started: on an object's
    // first reconcile the Ready message says so, and 5,000 new objects made 5,000 Events, half
    // the operator's requests.
    if (old != null
        && old.getInputDigest() != null
        && (!input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready)) {
      events.emit(
          image, Events.NORMAL, "CacheHit", "Index " + digest + " reused from " + repository + ".");
    }
  }

  void published(OSImage image, String digest, String repository) {
    events.emit(
        image,
        Events.NORMAL,
        "BuildSucceeded",
        "Pushed index " + digest + " to " + repository + ".");
  }

  /**
   * The status a reconcile wrote: a new denial is counted; a new reason to wait, or an input that
   * moved under an unchanged spec, is an Event (see {@link StatusEvents}).
   *
   * @param changed whether {@code status} differs from the image's
   */
  void statusWritten(OSImage image, OSImageStatus status, boolean changed) {
    if (status.getPhase() == Phase.Blocked) {
      // Counted once per object and generation, whatever status this reconcile read.
      metrics.policyDenied(image);
    }
    if (!changed) {
      return;
    }
    OSImageStatus old = image.getStatus();
    boolean specChanged =
        old == null
            || !Objects.equals(old.getObservedGeneration(), image.getMetadata().getGeneration());
    for (StatusEvents.Event e : StatusEvents.of(old, status, specChanged)) {
      events.emit(image, e.type(), e.reason(), e.message());
    }
  }

  private static boolean was(OSImage image, Phase phase) {
    return image.getStatus() != null && image.getStatus().getPhase() == phase;
  }
}

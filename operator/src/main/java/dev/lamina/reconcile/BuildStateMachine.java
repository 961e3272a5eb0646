package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.plan.IndexPublisher;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * One architecture's build, as a pure function: its status, its pod as the informer sees it, the
 * clock and the retry settings go in; its next status, what to do with its pod and when to look
 * again come out. Nothing here reads the cluster or writes to it.
 */
final class BuildStateMachine {
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private BuildStateMachine() {}

  /**
   * @param retries attempts allowed after the first
   * @param backoffAfter the delay before the next attempt after this many failed ones
   * @param noNodeGrace how long a pod may stay unscheduled before the image says why
   */
  record Retry(int retries, IntFunction<Duration> backoffAfter, Duration noNodeGrace) {}

  /** What the reconciler does with the architecture's pod after this step. */
  enum PodAction {
    /** Nothing. */
    NONE,
    /** Delete the previous attempt's pod, if any, and create the pod named in the status. */
    START,
    /** Create the pod named in the status unless it exists: the informer may not have it yet. */
    ENSURE,
    /** Delete the pod: it failed for good but would keep the kubelet trying. */
    STOP
  }

  /** Whether the scheduler places the pod, as far as the image has to say. */
  enum Scheduling {
    /** Placed, or not yet waited for long enough to say otherwise. */
    OK,
    /** No node fits it, though nodes of its architecture exist. */
    UNSCHEDULABLE,
    /** No node of its architecture exists. */
    NO_NODE
  }

  /**
   * @param status the architecture's next status
   * @param recheck when to look again though no event comes; null when an event will
   * @param stuck the pod cannot start, for a reason the kubelet keeps retrying (a missing Secret)
   * @param queued the pod to start waits for a build slot
   */
  record Step(
      ArchitectureStatus status,
      PodAction action,
      Duration recheck,
      Scheduling scheduling,
      boolean stuck,
      boolean queued) {
    Step(
        ArchitectureStatus status,
        PodAction action,
        Duration recheck,
        Scheduling scheduling,
        boolean stuck) {
      this(status, action, recheck, scheduling, stuck, false);
    }

    boolean succeeded() {
      return status.getState() == BuildState.Succeeded;
    }

    /** Failed with no attempt left. */
    boolean failed() {
      return status.getState() == BuildState.Failed && status.getNextAttemptAt() == null;
    }

    boolean building() {
      return !succeeded() && !failed() && !queued;
    }
  }

  /**
   * The step in place of {@code started} when the cluster-wide limit on build pods refuses it a
   * slot: nothing starts, and a first attempt says it is queued; a retry stays Failed, due.
   *
   * @param current the status before {@code started}
   */
  static Step queued(ArchitectureStatus current, Duration recheck) {
    ArchitectureStatus a = copy(current);
    if (a.getAttempts() == null || a.getAttempts() == 0) {
      a.setState(BuildState.Queued);
    }
    return new Step(a, PodAction.NONE, recheck, Scheduling.OK, false, true);
  }

  /**
   * A Failed architecture given a new attempt now and its retries again, after a rebuild request;
   * any other status as it is.
   */
  static ArchitectureStatus rebuilt(ArchitectureStatus current, Instant now) {
    ArchitectureStatus a = copy(current);
    if (a.getState() == BuildState.Failed && a.getNextAttemptAt() == null) {
      a.setFirstAttempt((a.getAttempts() == null ? 0 : a.getAttempts()) + 1);
      a.setNextAttemptAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
    }
    return a;
  }

  /**
   * @param osImage the OSImage's name, which the pod names start with
   * @param input the input digest being built
   * @param current the architecture's status, as the last reconcile wrote it
   * @param pod the pod the status names, if the informer has it
   * @param nodeExists whether any node has this architecture
   */
  static Step next(
      String osImage,
      String input,
      ArchitectureStatus current,
      Pod pod,
      boolean nodeExists,
      Instant now,
      Retry retry) {
    ArchitectureStatus a = copy(current);
    if (a.getState() == BuildState.Succeeded) {
      return step(a, PodAction.NONE, null);
    }
    int attempts = a.getAttempts() == null ? 0 : a.getAttempts();
    if (attempts == 0) {
      return start(osImage, input, a, 1);
    }
    if (a.getState() == BuildState.Failed) {
      if (a.getNextAttemptAt() == null) {
        return step(a, PodAction.NONE, null);
      }
      Instant next = Instant.parse(a.getNextAttemptAt());
      if (now.isBefore(next)) {
        return step(a, PodAction.NONE, Duration.between(now, next));
      }
      return start(osImage, input, a, attempts + 1);
    }
    if (pod == null && a.getState() == BuildState.Running) {
      // Seen running, so the informer knew it: it is gone, not yet to come.
      return failedAttempt(a, PodOutcome.deleted(a.getPod()), false, attempts, now, retry);
    }
    if (pod == null) {
      // Created but not yet in the informer's cache, or deleted by someone before it ran.
      return step(a, PodAction.ENSURE, null);
    }
    PodOutcome outcome = PodOutcome.of(pod);
    return switch (outcome.state()) {
      case Succeeded -> {
        a.setState(BuildState.Succeeded);
        a.setManifestDigest(outcome.result().manifestDigest());
        a.setNodeArchitecture(outcome.result().osArch());
        a.setSbomDigest(IndexPublisher.sbomDigest(outcome.result().artifacts()));
        a.setArtifacts(IndexDocuments.artifacts(outcome.result()));
        a.setOverlaps(IndexDocuments.overlaps(outcome.result()));
        a.setOverlapCount(IndexDocuments.overlapCount(outcome.result()));
        a.setReason(null);
        a.setMessage(null);
        yield step(a, PodAction.NONE, null);
      }
      case Failed -> {
        if (outcome.result() != null && outcome.result().overlapCount() != null) {
          // A pod that refused to push overlaps policy denies reports them: policy then blocks the
          // image instead of retrying it.
          a.setOverlaps(IndexDocuments.overlaps(outcome.result()));
          a.setOverlapCount(IndexDocuments.overlapCount(outcome.result()));
        }
        yield failedAttempt(a, outcome, !PodOutcome.finished(pod), attempts, now, retry);
      }
      default -> unfinished(a, outcome, pod, nodeExists, now, retry);
    };
  }

  private static Step unfinished(
      ArchitectureStatus a,
      PodOutcome outcome,
      Pod pod,
      boolean nodeExists,
      Instant now,
      Retry retry) {
    a.setState(outcome.state());
    boolean stuck = outcome.reason() != null;
    if (stuck) {
      // The kubelet keeps trying (a Secret may yet appear); say what holds it meanwhile.
      a.setReason(outcome.reason());
      a.setMessage(outcome.message());
    } else if (a.getReason() != null && PodOutcome.CREATE_REASONS.contains(a.getReason())) {
      a.setReason(null);
      a.setMessage(null);
    }
    Optional<Instant> since = PodOutcome.unschedulableSince(pod);
    if (since.isEmpty()) {
      return new Step(a, PodAction.NONE, null, Scheduling.OK, stuck);
    }
    Instant due = since.get().plus(retry.noNodeGrace());
    if (now.isBefore(due)) {
      return new Step(a, PodAction.NONE, Duration.between(now, due), Scheduling.OK, stuck);
    }
    Scheduling scheduling = nodeExists ? Scheduling.UNSCHEDULABLE : Scheduling.NO_NODE;
    return new Step(a, PodAction.NONE, retry.noNodeGrace(), scheduling, stuck);
  }

  /**
   * A failed attempt: another follows after a backoff while retries remain and another pod may
   * succeed; else the architecture has failed, and a pod that cannot finish by itself (its image
   * cannot be pulled) is stopped, so the kubelet stops trying.
   */
  private static Step failedAttempt(
      ArchitectureStatus a,
      PodOutcome outcome,
      boolean podUnfinished,
      int attempts,
      Instant now,
      Retry retry) {
    a.setState(BuildState.Failed);
    a.setReason(outcome.reason());
    a.setMessage(outcome.message());
    // Counted from the first attempt since the last rebuild request, if any.
    int round = attempts - (a.getFirstAttempt() == null ? 1 : a.getFirstAttempt()) + 1;
    if (outcome.retryAfter(round, retry.retries())) {
      Duration backoff = retry.backoffAfter().apply(round);
      a.setNextAttemptAt(now.plus(backoff).truncatedTo(ChronoUnit.SECONDS).toString());
      return step(a, PodAction.NONE, backoff);
    }
    a.setNextAttemptAt(null);
    return step(a, podUnfinished ? PodAction.STOP : PodAction.NONE, null);
  }

  private static Step start(String osImage, String input, ArchitectureStatus a, int attempt) {
    a.setAttempts(attempt);
    a.setPod(
        BuildPodFactory.podName(
            osImage, Architecture.valueOf(a.getArchitecture()), input, attempt));
    a.setState(BuildState.Pending);
    a.setNextAttemptAt(null);
    a.setManifestDigest(null);
    a.setArtifacts(null);
    a.setSbomDigest(null);
    a.setNodeArchitecture(null);
    a.setOverlaps(null);
    a.setOverlapCount(null);
    return step(a, PodAction.START, null);
  }

  /** The soonest any of {@code steps} wants to be looked at again; null when none does. */
  static Duration earliest(List<Step> steps) {
    return steps.stream()
        .map(Step::recheck)
        .filter(Objects::nonNull)
        .min(Duration::compareTo)
        .orElse(null);
  }

  /** The status of an architecture no attempt has been made for. */
  static ArchitectureStatus initial(Architecture arch) {
    ArchitectureStatus a = new ArchitectureStatus();
    a.setArchitecture(arch.name());
    a.setState(BuildState.Pending);
    a.setAttempts(0);
    return a;
  }

  private static Step step(ArchitectureStatus a, PodAction action, Duration recheck) {
    return new Step(a, action, recheck, Scheduling.OK, false);
  }

  /** A deep copy, so a step never changes the status it was given, whatever fields it gains. */
  static ArchitectureStatus copy(ArchitectureStatus s) {
    return JSON.clone(s);
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.BuildState;
import dev.lamina.plan.BuildResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a build pod's status says: still pending or running (perhaps with a problem the kubelet
 * reports while it keeps trying), finished with the {@link BuildResult} of its termination message,
 * or failed with a reason and whether another attempt can help.
 *
 * @param state where the pod is: Pending, Running, Succeeded or Failed
 * @param result the parsed termination message, when there is one
 * @param reason CamelCase reason of a failure, or of what holds a pending pod back
 * @param message sentence describing it, the kubelet's own words where it gave some
 * @param retryable for a failure: whether a new pod may succeed where this one failed
 */
record PodOutcome(
    BuildState state, BuildResult result, String reason, String message, boolean retryable) {

  /** The kubelet cannot get the builder image; a new pod would pull the same image again. */
  static final String IMAGE_PULL_FAILED = "ImagePullFailed";

  /** The container passed its memory limit; a new pod has the same limit and the same input. */
  static final String OOM_KILLED = "OOMKilled";

  /** Someone (an eviction through the API, a user, a drain) deleted the pod before it finished. */
  static final String POD_DELETED = "PodDeleted";

  /** Waiting reasons of a container whose image the kubelet cannot pull or cannot use. */
  private static final Set<String> IMAGE_PULL_REASONS =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

  /**
   * Waiting reasons the kubelet keeps retrying by itself (a missing Secret or ConfigMap, a runtime
   * refusing the container config): reported at once, but the pod is left to recover until its
   * deadline, since creating the Secret is enough to fix it.
   */
  static final Set<String> CREATE_REASONS =
      Set.of("CreateContainerConfigError", "CreateContainerError");

  /** Whether the pod has stopped, succeeded or failed. */
  static boolean finished(Pod pod) {
    String phase = phase(pod);
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  static PodOutcome of(Pod pod) {
    String phase = phase(pod);
    if (!finished(pod)) {
      return unfinished(pod, phase);
    }
    ContainerStateTerminated terminated = terminated(pod);
    String text = terminated == null ? null : terminated.getMessage();
    BuildResult result = null;
    if (text != null && !text.isBlank()) {
      try {
        result = BuildResult.fromJson(text);
      } catch (IOException e) {
        if (terminated != null && OOM_KILLED.equals(terminated.getReason())) {
          return oomKilled(pod);
        }
        return failed(
            null,
            "BadResult",
            "the termination message is not a build result: " + abbreviate(text),
            true);
      }
    }
    if (result != null && result.error() != null) {
      return failed(result, result.error().reason(), result.error().message(), true);
    }
    if ("Succeeded".equals(phase)) {
      if (result == null || result.manifestDigest() == null) {
        return failed(
            result, "BadResult", "the build pod succeeded without a manifest digest", true);
      }
      return new PodOutcome(BuildState.Succeeded, result, null, null, false);
    }
    if (terminated != null && OOM_KILLED.equals(terminated.getReason())) {
      return oomKilled(pod);
    }
    String reason = pod.getStatus().getReason();
    if (reason != null && !reason.isEmpty()) {
      // Evicted, DeadlineExceeded, NodeLost, UnexpectedAdmissionError, …: the node, not the
      // input, ended this attempt.
      String message = pod.getStatus().getMessage();
      return failed(
          result,
          reason,
          message == null || message.isBlank()
              ? "the kubelet ended the pod (" + reason + ")"
              : message,
          true);
    }
    if (pod.getMetadata() != null && pod.getMetadata().getDeletionTimestamp() != null) {
      return deleted(pod);
    }
    Integer exit = terminated == null ? null : terminated.getExitCode();
    String how =
        terminated != null && terminated.getReason() != null
            ? " (" + terminated.getReason() + ")"
            : "";
    return failed(
        result,
        "BuildPodFailed",
        "the build container exited with code " + exit + how + " without a result",
        true);
  }

  /**
   * A failed outcome for a build pod that vanished, or began to, before it finished: deleted,
   * evicted through the API, or lost with its node.
   */
  static PodOutcome deleted(String podName) {
    return failed(
        null, POD_DELETED, "build pod " + podName + " was deleted before it finished", true);
  }

  private static PodOutcome deleted(Pod pod) {
    PodOutcome o = deleted(pod.getMetadata().getName());
    // Since Kubernetes 1.26 the pod says who ended it (EvictionByEvictionAPI,
    // DeletionByTaintManager…).
    Optional<PodCondition> disruption =
        pod.getStatus() == null || pod.getStatus().getConditions() == null
            ? Optional.empty()
            : pod.getStatus().getConditions().stream()
                .filter(c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst();
    return disruption
        .map(
            c ->
                failed(
                    null,
                    POD_DELETED,
                    o.message()
                        + " ("
                        + c.getReason()
                        + (c.getMessage() == null ? "" : ": " + c.getMessage())
                        + ")",
                    true))
        .orElse(o);
  }

  /** Whether the attempt that ended so is followed by another, within {@code retries}. */
  boolean retryAfter(int attempts, int retries) {
    return state == BuildState.Failed && retryable && attempts <= retries;
  }

  private static PodOutcome unfinished(Pod pod, String phase) {
    BuildState state = "Running".equals(phase) ? BuildState.Running : BuildState.Pending;
    for (ContainerStatus cs : containerStatuses(pod)) {
      ContainerStateWaiting waiting = cs.getState() == null ? null : cs.getState().getWaiting();
      if (waiting == null || waiting.getReason() == null) {
        continue;
      }
      String why = waiting.getReason();
      String kubelet =
          waiting.getMessage() == null || waiting.getMessage().isBlank()
              ? "the kubelet reports " + why + " for image " + cs.getImage()
              : waiting.getMessage();
      if (IMAGE_PULL_REASONS.contains(why)) {
        return failed(null, IMAGE_PULL_FAILED, why + ": " + kubelet, false);
      }
      if (CREATE_REASONS.contains(why)) {
        return new PodOutcome(state, null, why, kubelet, false);
      }
    }
    if (pod.getMetadata() != null && pod.getMetadata().getDeletionTimestamp() != null) {
      return deleted(pod);
    }
    return new PodOutcome(state, null, null, null, false);
  }

  private static PodOutcome oomKilled(Pod pod) {
    String limit = memoryLimit(pod);
    return failed(
        null,
        OOM_KILLED,
        "the build container was killed for passing its memory limit"
            + (limit == null ? "" : " of " + limit),
        false);
  }

  private static PodOutcome failed(
      BuildResult result, String reason, String message, boolean retryable) {
    return new PodOutcome(BuildState.Failed, result, reason, message, retryable);
  }

  /** When the scheduler last said the pod fits no node, if it is still waiting. */
  static Optional<Instant> unschedulableSince(Pod pod) {
    if (pod.getStatus() == null
        || pod.getStatus().getConditions() == null
        || !"Pending".equals(pod.getStatus().getPhase())) {
      return Optional.empty();
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        String t =
            c.getLastTransitionTime() != null
                ? c.getLastTransitionTime()
                : pod.getMetadata().getCreationTimestamp();
        return Optional.of(Instant.parse(t));
      }
    }
    return Optional.empty();
  }

  private static List<ContainerStatus> containerStatuses(Pod pod) {
    List<ContainerStatus> all = new ArrayList<>();
    if (pod.getStatus() == null) {
      return all;
    }
    if (pod.getStatus().getInitContainerStatuses() != null) {
      all.addAll(pod.getStatus().getInitContainerStatuses());
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      all.addAll(pod.getStatus().getContainerStatuses());
    }
    return all;
  }

  private static ContainerStateTerminated terminated(Pod pod) {
    if (pod.getStatus().getContainerStatuses() == null) {
      return null;
    }
    for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
      if (cs.getState() != null && cs.getState().getTerminated() != null) {
        return cs.getState().getTerminated();
      }
    }
    return null;
  }

  private static String memoryLimit(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    return pod.getSpec().getContainers().stream()
        .filter(c -> c.getResources() != null && c.getResources().getLimits() != null)
        .map(c -> c.getResources().getLimits().get("memory"))
        .filter(q -> q != null)
        .map(Object::toString)
        .findFirst()
        .orElse(null);
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}

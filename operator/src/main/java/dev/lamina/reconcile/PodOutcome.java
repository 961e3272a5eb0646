package dev.lamina.reconcile;

import dev.lamina.build.BuildResult;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * What a build pod's status says: still pending or running, or finished with the {@link
 * BuildResult} of its termination message, or failed with a reason.
 *
 * @param state Pending, Running, Succeeded or Failed
 * @param result the parsed termination message, when there is one
 * @param reason CamelCase reason of a failure
 * @param message sentence describing a failure
 */
record PodOutcome(String state, BuildResult result, String reason, String message) {

  static PodOutcome of(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (!"Succeeded".equals(phase) && !"Failed".equals(phase)) {
      return new PodOutcome("Running".equals(phase) ? "Running" : "Pending", null, null, null);
    }
    ContainerStateTerminated terminated = terminated(pod);
    String text = terminated == null ? null : terminated.getMessage();
    BuildResult result = null;
    if (text != null && !text.isBlank()) {
      try {
        result = BuildResult.fromJson(text);
      } catch (IOException e) {
        return new PodOutcome(
            "Failed",
            null,
            "BadResult",
            "the termination message is not a build result: " + abbreviate(text));
      }
    }
    if (result != null && result.error() != null) {
      return new PodOutcome("Failed", result, result.error().reason(), result.error().message());
    }
    if ("Succeeded".equals(phase)) {
      if (result == null || result.manifestDigest() == null) {
        return new PodOutcome(
            "Failed", result, "BadResult", "the build pod succeeded without a manifest digest");
      }
      return new PodOutcome("Succeeded", result, null, null);
    }
    String reason = pod.getStatus().getReason();
    if (reason != null && !reason.isEmpty()) {
      return new PodOutcome("Failed", result, reason, String.valueOf(pod.getStatus().getMessage()));
    }
    Integer exit = terminated == null ? null : terminated.getExitCode();
    return new PodOutcome(
        "Failed",
        result,
        "BuildPodFailed",
        "the build container exited with code " + exit + " without a result");
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

  /** The reason word of a message written as "Reason: sentence". */
  static String reasonOf(String message) {
    if (message == null) {
      return "BuildFailed";
    }
    int colon = message.indexOf(':');
    String word = colon > 0 ? message.substring(0, colon) : "";
    return word.matches("[A-Z][A-Za-z0-9]*") ? word : "BuildFailed";
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

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}

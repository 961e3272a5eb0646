package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.BuildState;
import dev.lamina.plan.BuildResult;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PodOutcomeTest {
  static Pod finished(String phase, int exit, String message, String reason) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withNewStatus()
        .withPhase(phase)
        .withReason(reason)
        .addNewContainerStatus()
        .withName("build")
        .withNewState()
        .withNewTerminated()
        .withExitCode(exit)
        .withMessage(message)
        .endTerminated()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void succeededPodGivesItsResult() {
    BuildResult r =
        new BuildResult(
            "amd64",
            "sha256:" + "1".repeat(64),
            "sha256:" + "2".repeat(64),
            List.of(
                new BuildResult.ArtifactRef(
                    "kernel", "application/octet-stream", "sha256:" + "3".repeat(64), 12)),
            null,
            null,
            null);
    PodOutcome o = PodOutcome.of(finished("Succeeded", 0, r.toJson(), null));
    assertThat(o.state()).isEqualTo(BuildState.Succeeded);
    assertThat(o.result()).isEqualTo(r);
    assertThat(IndexDocuments.artifacts(o.result()))
        .singleElement()
        .satisfies(a -> assertThat(a.getSize()).isEqualTo(12L));
  }

  @Test
  void failedResultCarriesItsReason() {
    String json =
        BuildResult.failure("arm64", "sha256:x", "DigestMismatch", "blob sha256:ab does not match")
            .toJson();
    PodOutcome o = PodOutcome.of(finished("Failed", 1, json, null));
    assertThat(o.state()).isEqualTo(BuildState.Failed);
    assertThat(o.reason()).isEqualTo("DigestMismatch");
  }

  @Test
  void deadlineOrSilentCrashIsAFailureWithAReason() {
    assertThat(PodOutcome.of(finished("Failed", 137, null, "DeadlineExceeded")).reason())
        .isEqualTo("DeadlineExceeded");
    PodOutcome crash = PodOutcome.of(finished("Failed", 3, "", null));
    assertThat(crash.reason()).isEqualTo("BuildPodFailed");
    assertThat(crash.message()).contains("code 3");
    assertThat(PodOutcome.of(finished("Succeeded", 0, "not json", null)).reason())
        .isEqualTo("BadResult");
  }

  @Test
  void unscheduledPodReportsSinceWhen() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .withCreationTimestamp("2026-01-01T00:00:00Z")
            .endMetadata()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withLastTransitionTime("2026-01-01T00:00:05Z")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PodOutcome.unschedulableSince(pod)).contains(Instant.parse("2026-01-01T00:00:05Z"));
    assertThat(PodOutcome.of(pod).state()).isEqualTo(BuildState.Pending);
  }

  /** A pod whose build container waits, as the kubelet reports it. */
  static Pod waiting(String phase, String reason, String message) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("build")
        .withImage("registry.test/lamina@sha256:" + "a".repeat(64))
        .withNewResources()
        .withLimits(Map.of("memory", new Quantity("1Gi")))
        .endResources()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase(phase)
        .addNewContainerStatus()
        .withName("build")
        .withImage("registry.test/lamina@sha256:" + "a".repeat(64))
        .withNewState()
        .withNewWaiting()
        .withReason(reason)
        .withMessage(message)
        .endWaiting()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  /** A failed pod whose container was ended with {@code terminatedReason}, with no result. */
  static Pod killed(String podReason, String terminatedReason, int exit) {
    Pod pod = finished("Failed", exit, null, podReason);
    pod.getStatus()
        .getContainerStatuses()
        .get(0)
        .getState()
        .getTerminated()
        .setReason(terminatedReason);
    pod.setSpec(waiting("Pending", "x", null).getSpec());
    return pod;
  }

  static Pod deleting(Pod pod) {
    pod.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    return pod;
  }

  static Pod evictedThroughTheApi() {
    Pod pod = deleting(waiting("Running", null, null));
    pod.getStatus().getContainerStatuses().get(0).getState().setWaiting(null);
    pod.getStatus()
        .setConditions(
            List.of(
                new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                    .withType("DisruptionTarget")
                    .withStatus("True")
                    .withReason("EvictionByEvictionAPI")
                    .withMessage("Eviction API: evicting")
                    .build()));
    return pod;
  }

  /**
   * What the kubelet can say about a build pod, and what the operator makes of it: state, reason,
   * words the message must hold, and whether a new attempt follows (with attempts to spare).
   */
  static Stream<Arguments> kubeletReports() {
    String pullMessage =
        "failed to pull and unpack image \"registry.test/lamina:0.1.0\": not found";
    return Stream.of(
        Arguments.of(
            "image not found",
            waiting("Pending", "ErrImagePull", pullMessage),
            "Failed",
            "ImagePullFailed",
            "ErrImagePull: failed to pull and unpack image",
            false),
        Arguments.of(
            "pull backing off",
            waiting(
                "Pending",
                "ImagePullBackOff",
                "Back-off pulling image \"registry.test/lamina:0.1.0\""),
            "Failed",
            "ImagePullFailed",
            "Back-off pulling image",
            false),
        Arguments.of(
            "bad image name",
            waiting(
                "Pending",
                "InvalidImageName",
                "Failed to apply default image tag \"Registry.test//x\": invalid reference format"),
            "Failed",
            "ImagePullFailed",
            "invalid reference format",
            false),
        Arguments.of(
            "pull policy Never",
            waiting("Pending", "ErrImageNeverPull", null),
            "Failed",
            "ImagePullFailed",
            "ErrImageNeverPull for image registry.test/lamina@",
            false),
        Arguments.of(
            "missing Secret",
            waiting("Pending", "CreateContainerConfigError", "secret \"push\" not found"),
            "Pending",
            "CreateContainerConfigError",
            "secret \"push\" not found",
            false),
        Arguments.of(
            "runtime refuses the container",
            waiting("Pending", "CreateContainerError", "failed to reserve container name"),
            "Pending",
            "CreateContainerError",
            "failed to reserve container name",
            false),
        Arguments.of(
            "container starting",
            waiting("Pending", "ContainerCreating", null),
            "Pending",
            null,
            null,
            false),
        Arguments.of(
            "evicted by the kubelet",
            killed("Evicted", "Error", 137),
            "Failed",
            "Evicted",
            "ended the pod (Evicted)",
            true),
        Arguments.of(
            "deadline",
            killed("DeadlineExceeded", "Error", 137),
            "Failed",
            "DeadlineExceeded",
            "DeadlineExceeded",
            true),
        Arguments.of(
            "killed without a result",
            killed(null, "Error", 137),
            "Failed",
            "BuildPodFailed",
            "code 137 (Error) without a result",
            true),
        Arguments.of(
            "out of memory",
            killed(null, "OOMKilled", 137),
            "Failed",
            "OOMKilled",
            "memory limit of 1Gi",
            false),
        Arguments.of(
            "out of memory on a failed pod with a reason",
            killed("Error", "OOMKilled", 137),
            "Failed",
            "OOMKilled",
            "memory limit",
            false),
        Arguments.of(
            "deleted while running",
            deleting(waiting("Running", null, null)),
            "Failed",
            "PodDeleted",
            "was deleted before it finished",
            true),
        Arguments.of(
            "evicted through the API",
            evictedThroughTheApi(),
            "Failed",
            "PodDeleted",
            "EvictionByEvictionAPI",
            true),
        Arguments.of(
            "deleted, then killed",
            deleting(killed(null, "Error", 137)),
            "Failed",
            "PodDeleted",
            "deleted before it finished",
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kubeletReports")
  void kubeletReportBecomesAnOutcome(
      String what, Pod pod, String state, String reason, String says, boolean retried) {
    PodOutcome o = PodOutcome.of(pod);
    assertThat(o.state()).as(what).isEqualTo(BuildState.valueOf(state));
    assertThat(o.reason()).as(what).isEqualTo(reason);
    if (says != null) {
      assertThat(o.message()).as(what).contains(says);
    }
    assertThat(o.retryAfter(1, 2)).as(what).isEqualTo(retried);
  }

  @Test
  void retryableFailureStopsWhenTheRetriesAreSpent() {
    PodOutcome evicted = PodOutcome.of(killed("Evicted", "Error", 137));
    assertThat(evicted.retryAfter(1, 2)).isTrue();
    assertThat(evicted.retryAfter(2, 2)).isTrue();
    assertThat(evicted.retryAfter(3, 2)).isFalse();
    assertThat(evicted.retryAfter(1, 0)).isFalse();
    assertThat(PodOutcome.deleted("p").retryAfter(1, 2)).isTrue();
    assertThat(PodOutcome.of(waiting("Pending", "ImagePullBackOff", "x")).retryAfter(1, 2))
        .isFalse();
  }
}

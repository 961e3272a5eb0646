package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.build.BuildResult;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

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
    assertThat(o.state()).isEqualTo("Succeeded");
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
    assertThat(o.state()).isEqualTo("Failed");
    assertThat(o.reason()).isEqualTo("DigestMismatch");
    assertThat(PodOutcome.reasonOf(o.reason() + ": " + o.message())).isEqualTo("DigestMismatch");
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
    assertThat(PodOutcome.of(pod).state()).isEqualTo("Pending");
    assertThat(PodOutcome.reasonOf("not a reason")).isEqualTo("BuildFailed");
  }
}

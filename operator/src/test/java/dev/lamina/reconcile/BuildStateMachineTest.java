package dev.lamina.reconcile;

import static dev.lamina.reconcile.PodOutcomeTest.deleting;
import static dev.lamina.reconcile.PodOutcomeTest.finished;
import static dev.lamina.reconcile.PodOutcomeTest.killed;
import static dev.lamina.reconcile.PodOutcomeTest.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Overlap;
import dev.lamina.plan.BuildResult;
import dev.lamina.reconcile.BuildStateMachine.PodAction;
import dev.lamina.reconcile.BuildStateMachine.Retry;
import dev.lamina.reconcile.BuildStateMachine.Scheduling;
import dev.lamina.reconcile.BuildStateMachine.Step;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every branch of one architecture's build, as rows: status and pod in, next status out. */
class BuildStateMachineTest {
  static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
  static final String INPUT = "sha256:" + "0123456789".repeat(6) + "abcd";
  static final Retry RETRY =
      new Retry(2, OperatorSettings.defaults("builder")::backoffAfter, Duration.ofMinutes(2));
  static final String POD_1 = "edge-amd64-0123456789";
  static final KubernetesSerialization JSON = new KubernetesSerialization();

  /**
   * One row: the architecture's status and pod (null: the informer has none) in; the next state,
   * attempts, reason, next attempt, pod action, recheck, scheduling and stuck out.
   */
  record Case(
      String name,
      ArchitectureStatus before,
      Pod pod,
      boolean nodeExists,
      BuildState state,
      int attempts,
      String reason,
      String nextAttemptAt,
      PodAction action,
      Duration recheck,
      Scheduling scheduling,
      boolean stuck) {
    @Override
    public String toString() {
      return name;
    }
  }

  static ArchitectureStatus status(BuildState state, int attempts) {
    ArchitectureStatus a = BuildStateMachine.initial(Architecture.amd64);
    a.setState(state);
    a.setAttempts(attempts);
    a.setPod(attempts == 0 ? null : attempts == 1 ? POD_1 : POD_1 + "-" + attempts);
    return a;
  }

  static ArchitectureStatus failed(int attempts, String reason, String nextAttemptAt) {
    ArchitectureStatus a = status(BuildState.Failed, attempts);
    a.setReason(reason);
    a.setMessage("what " + reason + " says");
    a.setNextAttemptAt(nextAttemptAt);
    return a;
  }

  static ArchitectureStatus waitingFor(String reason) {
    ArchitectureStatus a = status(BuildState.Pending, 1);
    a.setReason(reason);
    a.setMessage("secret \"push\" not found");
    return a;
  }

  static Pod succeeded() {
    BuildResult r =
        new BuildResult(
            "amd64",
            INPUT,
            "sha256:" + "1".repeat(64),
            List.of(
                new BuildResult.ArtifactRef(
                    "kernel", "application/octet-stream", "sha256:" + "3".repeat(64), 12)),
            List.of(new Overlap("etc/motd", "base", "site")),
            1,
            null,
            null);
    return finished("Succeeded", 0, r.toJson(), null);
  }

  static Pod unschedulable(Instant since) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(POD_1)
        .withCreationTimestamp(since.toString())
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .withLastTransitionTime(since.toString())
        .endCondition()
        .endStatus()
        .build();
  }

  static Pod running() {
    return waiting("Running", null, null);
  }

  static Case c(
      String name,
      ArchitectureStatus before,
      Pod pod,
      BuildState state,
      int attempts,
      String reason,
      String nextAttemptAt,
      PodAction action,
      Duration recheck) {
    return new Case(
        name,
        before,
        pod,
        true,
        state,
        attempts,
        reason,
        nextAttemptAt,
        action,
        recheck,
        Scheduling.OK,
        false);
  }

  static Stream<Case> steps() {
    return Stream.of(
        c(
            "no attempt yet: start the first",
            status(BuildState.Pending, 0),
            null,
            BuildState.Pending,
            1,
            null,
            null,
            PodAction.START,
            null),
        c(
            "succeeded stays succeeded",
            status(BuildState.Succeeded, 1),
            null,
            BuildState.Succeeded,
            1,
            null,
            null,
            PodAction.NONE,
            null),
        c(
            "pod not yet in the informer: make sure it exists",
            status(BuildState.Pending, 1),
            null,
            BuildState.Pending,
            1,
            null,
            null,
            PodAction.ENSURE,
            null),
        c(
            "pod seen running is gone: a failed attempt, retried after the backoff",
            status(BuildState.Running, 1),
            null,
            BuildState.Failed,
            1,
            PodOutcome.POD_DELETED,
            "2026-01-01T00:10:10Z",
            PodAction.NONE,
            Duration.ofSeconds(10)),
        c(
            "pod gone with the retries spent: failed",
            status(BuildState.Running, 3),
            null,
            BuildState.Failed,
            3,
            PodOutcome.POD_DELETED,
            null,
            PodAction.NONE,
            null),
        c(
            "pod deleted while running: a failed attempt",
            status(BuildState.Running, 1),
            deleting(running()),
            BuildState.Failed,
            1,
            PodOutcome.POD_DELETED,
            "2026-01-01T00:10:10Z",
            PodAction.NONE,
            Duration.ofSeconds(10)),
        c(
            "pod runs",
            status(BuildState.Pending, 1),
            running(),
            BuildState.Running,
            1,
            null,
            null,
            PodAction.NONE,
            null),
        c(
            "pod succeeded: its manifest and overlaps are kept",
            status(BuildState.Running, 1),
            succeeded(),
            BuildState.Succeeded,
            1,
            null,
            null,
            PodAction.NONE,
            null),
        c(
            "evicted: retried after the first backoff",
            status(BuildState.Running, 1),
            killed("Evicted", "Error", 137),
            BuildState.Failed,
            1,
            "Evicted",
            "2026-01-01T00:10:10Z",
            PodAction.NONE,
            Duration.ofSeconds(10)),
        c(
            "second failure: the backoff doubles",
            status(BuildState.Running, 2),
            killed("Evicted", "Error", 137),
            BuildState.Failed,
            2,
            "Evicted",
            "2026-01-01T00:10:20Z",
            PodAction.NONE,
            Duration.ofSeconds(20)),
        c(
            "OOMKilled: not retried, the same limit would be hit again",
            status(BuildState.Running, 1),
            killed(null, "OOMKilled", 137),
            BuildState.Failed,
            1,
            PodOutcome.OOM_KILLED,
            null,
            PodAction.NONE,
            null),
        c(
            "image cannot be pulled: not retried, and the pod is stopped",
            status(BuildState.Pending, 1),
            waiting("Pending", "ErrImagePull", "not found"),
            BuildState.Failed,
            1,
            PodOutcome.IMAGE_PULL_FAILED,
            null,
            PodAction.STOP,
            null),
        c(
            "backoff not over: look again when it is",
            failed(1, "Evicted", "2026-01-01T00:10:05Z"),
            killed("Evicted", "Error", 137),
            BuildState.Failed,
            1,
            "Evicted",
            "2026-01-01T00:10:05Z",
            PodAction.NONE,
            Duration.ofSeconds(5)),
        c(
            "backoff over: the next attempt replaces the old pod, the last reason stays",
            failed(1, "Evicted", "2026-01-01T00:09:59Z"),
            killed("Evicted", "Error", 137),
            BuildState.Pending,
            2,
            "Evicted",
            null,
            PodAction.START,
            null),
        c(
            "failed with no attempt left stays failed",
            failed(3, "DigestMismatch", null),
            null,
            BuildState.Failed,
            3,
            "DigestMismatch",
            null,
            PodAction.NONE,
            null),
        new Case(
            "missing Secret: the pod waits, and the image says why",
            status(BuildState.Pending, 1),
            waiting("Pending", "CreateContainerConfigError", "secret \"push\" not found"),
            true,
            BuildState.Pending,
            1,
            "CreateContainerConfigError",
            null,
            PodAction.NONE,
            null,
            Scheduling.OK,
            true),
        c(
            "Secret created: the reason goes",
            waitingFor("CreateContainerConfigError"),
            running(),
            BuildState.Running,
            1,
            null,
            null,
            PodAction.NONE,
            null),
        c(
            "unschedulable within the grace period: look again when it ends",
            status(BuildState.Pending, 1),
            unschedulable(NOW.minusSeconds(30)),
            BuildState.Pending,
            1,
            null,
            null,
            PodAction.NONE,
            Duration.ofSeconds(90)),
        new Case(
            "unschedulable past the grace period, no node of the architecture",
            status(BuildState.Pending, 1),
            unschedulable(NOW.minusSeconds(180)),
            false,
            BuildState.Pending,
            1,
            null,
            null,
            PodAction.NONE,
            Duration.ofMinutes(2),
            Scheduling.NO_NODE,
            false),
        new Case(
            "unschedulable past the grace period though a node of the architecture exists",
            status(BuildState.Pending, 1),
            unschedulable(NOW.minusSeconds(180)),
            true,
            BuildState.Pending,
            1,
            null,
            null,
            PodAction.NONE,
            Duration.ofMinutes(2),
            Scheduling.UNSCHEDULABLE,
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("steps")
  void nextStep(Case c) {
    String before = JSON.asJson(c.before());
    Step step =
        BuildStateMachine.next("edge", INPUT, c.before(), c.pod(), c.nodeExists(), NOW, RETRY);

    ArchitectureStatus a = step.status();
    assertThat(a.getState()).as("state").isEqualTo(c.state());
    assertThat(a.getAttempts()).as("attempts").isEqualTo(c.attempts());
    assertThat(a.getReason()).as("reason").isEqualTo(c.reason());
    assertThat(a.getNextAttemptAt()).as("next attempt").isEqualTo(c.nextAttemptAt());
    assertThat(step.action()).as("action").isEqualTo(c.action());
    assertThat(step.recheck()).as("recheck").isEqualTo(c.recheck());
    assertThat(step.scheduling()).as("scheduling").isEqualTo(c.scheduling());
    assertThat(step.stuck()).as("stuck").isEqualTo(c.stuck());
    if (c.reason() != null) {
      assertThat(a.getMessage()).as("message").isNotBlank().doesNotStartWith(c.reason() + ":");
    }
    // The status read is left as it was: a step only returns the next one.
    assertThat(JSON.asJson(c.before())).isEqualTo(before);
  }

  @Test
  void copyKeepsEveryFieldAndSharesNoList() throws Exception {
    ArchitectureStatus full = new ArchitectureStatus();
    int n = 0;
    for (java.lang.reflect.Method m : ArchitectureStatus.class.getMethods()) {
      if (!m.getName().startsWith("set") || m.getParameterCount() != 1) {
        continue;
      }
      Class<?> t = m.getParameterTypes()[0];
      Object value =
          t == String.class
              ? "v" + n
              : t == Integer.class
                  ? Integer.valueOf(n)
                  : t == BuildState.class ? BuildState.Failed : null;
      if (t == List.class) {
        value = m.getName().equals("setOverlaps") ? List.of(new Overlap("etc/x", "a", "b")) : null;
      }
      if (value != null) {
        m.invoke(full, value);
        n++;
      }
    }
    assertThat(n).isGreaterThanOrEqualTo(12);
    ArchitectureStatus copy = BuildStateMachine.copy(full);
    assertThat(JSON.asJson(copy)).isEqualTo(JSON.asJson(full));
    assertThat(copy.getOverlaps()).isNotSameAs(full.getOverlaps());
  }

  @Test
  void eachAttemptGetsAPodOfItsOwnName() {
    Step first =
        BuildStateMachine.next(
            "edge", INPUT, status(BuildState.Pending, 0), null, true, NOW, RETRY);
    assertThat(first.status().getPod()).isEqualTo(POD_1);
    Step second =
        BuildStateMachine.next(
            "edge", INPUT, failed(1, "Evicted", NOW.toString()), null, true, NOW, RETRY);
    assertThat(second.status().getPod()).isEqualTo(POD_1 + "-2");
  }

  @Test
  void succeededPodLeavesItsManifestArtifactsAndOverlaps() {
    ArchitectureStatus a =
        BuildStateMachine.next(
                "edge",
                INPUT,
                waitingFor("CreateContainerConfigError"),
                succeeded(),
                true,
                NOW,
                RETRY)
            .status();
    assertThat(a.getManifestDigest()).isEqualTo("sha256:" + "1".repeat(64));
    assertThat(a.getArtifacts()).extracting(x -> x.getName()).containsExactly("kernel");
    assertThat(a.getOverlapCount()).isEqualTo(1);
    assertThat(a.getOverlaps()).extracting(o -> o.path()).containsExactly("etc/motd");
    assertThat(a.getMessage()).isNull();
  }

  @Test
  void podThatRefusedToPushOverlapsReportsThem() {
    BuildResult refused =
        new BuildResult(
            "amd64",
            INPUT,
            null,
            null,
            List.of(new Overlap("etc/issue", "base", "site")),
            7,
            new BuildResult.Failure("PolicyDenied", "LMN009 denies 7 overlaps"),
            null);
    ArchitectureStatus a =
        BuildStateMachine.next(
                "edge",
                INPUT,
                status(BuildState.Running, 1),
                finished("Failed", 1, refused.toJson(), null),
                true,
                NOW,
                RETRY)
            .status();
    assertThat(a.getState()).isEqualTo(BuildState.Failed);
    assertThat(a.getReason()).isEqualTo("PolicyDenied");
    assertThat(a.getMessage()).isEqualTo("LMN009 denies 7 overlaps");
    assertThat(a.getOverlapCount()).isEqualTo(7);
  }

  @Test
  void refusedSlotQueuesAFirstAttemptAndKeepsARetryDue() {
    Step first = BuildStateMachine.queued(status(BuildState.Pending, 0), Duration.ofSeconds(30));
    assertThat(first.status().getState()).isEqualTo(BuildState.Queued);
    assertThat(first.action()).isEqualTo(PodAction.NONE);
    assertThat(first.queued()).isTrue();
    assertThat(first.building()).isFalse();
    assertThat(first.recheck()).isEqualTo(Duration.ofSeconds(30));

    ArchitectureStatus due = failed(1, "Evicted", "2026-01-01T00:09:59Z");
    Step retry = BuildStateMachine.queued(due, Duration.ofSeconds(30));
    assertThat(retry.status().getState()).isEqualTo(BuildState.Failed);
    assertThat(retry.status().getNextAttemptAt()).isEqualTo("2026-01-01T00:09:59Z");
    assertThat(retry.failed()).isFalse();

    // Queued, the next reconcile asks again for the first attempt.
    Step again = BuildStateMachine.next("edge", INPUT, first.status(), null, true, NOW, RETRY);
    assertThat(again.action()).isEqualTo(PodAction.START);
  }

  @Test
  void rebuildGivesAFailedArchitectureItsRetriesAgain() {
    ArchitectureStatus spent = failed(3, "OOMKilled", null);
    ArchitectureStatus rebuilt = BuildStateMachine.rebuilt(spent, NOW);
    assertThat(rebuilt.getFirstAttempt()).isEqualTo(4);
    assertThat(rebuilt.getNextAttemptAt()).isEqualTo(NOW.toString());
    assertThat(BuildStateMachine.rebuilt(status(BuildState.Running, 1), NOW).getNextAttemptAt())
        .isNull();

    Step fourth = BuildStateMachine.next("edge", INPUT, rebuilt, null, true, NOW, RETRY);
    assertThat(fourth.action()).isEqualTo(PodAction.START);
    assertThat(fourth.status().getAttempts()).isEqualTo(4);
    // Attempt 4 failing is the first failure of this round: retried, with the first backoff.
    ArchitectureStatus running = fourth.status();
    running.setState(BuildState.Running);
    Step failedAgain =
        BuildStateMachine.next(
            "edge", INPUT, running, killed("Evicted", "Error", 137), true, NOW, RETRY);
    assertThat(failedAgain.status().getNextAttemptAt()).isEqualTo("2026-01-01T00:10:10Z");
  }
}

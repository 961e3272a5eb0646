package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.reconcile.BuildStateMachine.PodAction;
import dev.lamina.reconcile.BuildStateMachine.Scheduling;
import dev.lamina.reconcile.BuildStateMachine.Step;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The phase and conditions an OSImage gets from its architectures' steps. */
class VerdictTest {

  /** One row: the architectures' steps in; phase, Ready reason, message and Scheduled out. */
  record Case(
      String name, List<Step> steps, Phase phase, String reason, String message, String scheduled) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Step step(
      Architecture arch, BuildState state, String nextAttemptAt, Scheduling s, boolean stuck) {
    ArchitectureStatus a = BuildStateMachine.initial(arch);
    a.setState(state);
    a.setAttempts(3);
    a.setNextAttemptAt(nextAttemptAt);
    return new Step(a, PodAction.NONE, null, s, stuck);
  }

  static Step built(Architecture arch) {
    return step(arch, BuildState.Succeeded, null, Scheduling.OK, false);
  }

  static Step running(Architecture arch) {
    return step(arch, BuildState.Running, null, Scheduling.OK, false);
  }

  static Step failed(Architecture arch, String reason, String message) {
    Step s = step(arch, BuildState.Failed, null, Scheduling.OK, false);
    s.status().setReason(reason);
    s.status().setMessage(message);
    return s;
  }

  static Step waiting(Architecture arch, Scheduling scheduling) {
    return step(arch, BuildState.Pending, null, scheduling, false);
  }

  static Step stuck(Architecture arch) {
    Step s = step(arch, BuildState.Pending, null, Scheduling.OK, true);
    s.status().setReason("CreateContainerConfigError");
    s.status().setMessage("secret \"push\" not found");
    return s;
  }

  static Stream<Case> verdicts() {
    Architecture amd = Architecture.amd64;
    Architecture arm = Architecture.arm64;
    return Stream.of(
        new Case(
            "building",
            List.of(built(amd), running(arm)),
            Phase.Building,
            "Building",
            "Building arm64.",
            "cleared"),
        new Case(
            "a retry waiting for its backoff is still building",
            List.of(step(amd, BuildState.Failed, "2026-01-01T00:00:10Z", Scheduling.OK, false)),
            Phase.Building,
            "Building",
            "Building amd64.",
            "cleared"),
        new Case(
            "no node for an architecture wins over everything, and nothing builds",
            List.of(failed(amd, "OOMKilled", "killed"), waiting(arm, Scheduling.NO_NODE)),
            Phase.Pending,
            "NoNodeForArchitecture",
            "No node has kubernetes.io/arch=arm64; the build pod waits for one.",
            "NoNodeForArchitecture"),
        new Case(
            "unschedulable",
            List.of(running(amd), waiting(arm, Scheduling.UNSCHEDULABLE)),
            Phase.Building,
            "Unschedulable",
            "The build pod for arm64 cannot be scheduled.",
            "Unschedulable"),
        new Case(
            "one failed architecture fails the image though another builds",
            List.of(running(amd), failed(arm, "OOMKilled", "the build container was killed")),
            Phase.Failed,
            "OOMKilled",
            "arm64 failed after 3 attempt(s): OOMKilled: the build container was killed",
            "cleared"),
        new Case(
            "waiting for a build slot with nothing building",
            List.of(built(amd), BuildStateMachine.queued(running(arm).status(), null)),
            Phase.Queued,
            "Queued",
            "Waiting for a build slot for arm64: at most 4 build pods run at once in the cluster.",
            "cleared"),
        new Case(
            "one architecture builds while another waits for a slot",
            List.of(running(amd), BuildStateMachine.queued(running(arm).status(), null)),
            Phase.Building,
            "Building",
            "Building amd64.",
            "cleared"),
        new Case(
            "a failure without a reason",
            List.of(failed(amd, null, "gone")),
            Phase.Failed,
            "BuildFailed",
            "amd64 failed after 3 attempt(s): gone",
            "cleared"),
        new Case(
            "a pod that cannot start says why",
            List.of(stuck(amd), running(arm)),
            Phase.Building,
            "CreateContainerConfigError",
            "Building amd64, arm64; the amd64 build pod cannot start:"
                + " CreateContainerConfigError: secret \"push\" not found",
            "cleared"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("verdicts")
  void buildVerdict(Case c) {
    Verdict v = Verdict.ofBuild(c.steps(), 4).orElseThrow();
    assertThat(v.phase()).isEqualTo(c.phase());
    assertThat(v.ready()).isFalse();
    assertThat(v.reason()).isEqualTo(c.reason());
    assertThat(v.message()).isEqualTo(c.message());

    OSImageStatus status = new OSImageStatus();
    status.setConditions(
        Conditions.set(null, Conditions.SCHEDULED, false, "Unschedulable", "before", 1L));
    v.applyTo(status, 4L);
    assertThat(status.getPhase()).isEqualTo(c.phase());
    assertThat(status.getMessage()).isEqualTo(c.message());
    Condition ready = Conditions.find(status.getConditions(), Conditions.READY).orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo(c.reason());
    assertThat(ready.getObservedGeneration()).isEqualTo(4L);
    Optional<Condition> scheduled = Conditions.find(status.getConditions(), Conditions.SCHEDULED);
    if (c.scheduled().equals("cleared")) {
      assertThat(scheduled).isEmpty();
    } else {
      assertThat(scheduled)
          .get()
          .satisfies(
              s -> {
                assertThat(s.getStatus()).isEqualTo("False");
                assertThat(s.getReason()).isEqualTo(c.scheduled());
                assertThat(s.getMessage()).isEqualTo(c.message());
              });
    }
  }

  @Test
  void everyArchitectureBuiltLeavesTheVerdictToPublishing() {
    assertThat(Verdict.ofBuild(List.of(built(Architecture.amd64), built(Architecture.arm64)), 4))
        .isEmpty();
  }

  @Test
  void verdictsBeforeTheBuildLeaveSchedulingAlone() {
    OSImageStatus status = new OSImageStatus();
    status.setConditions(
        Conditions.set(null, Conditions.SCHEDULED, false, "Unschedulable", "before", 1L));
    Verdict.pending("LayersNotReady", "Waiting.").applyTo(status, 2L);
    assertThat(Conditions.find(status.getConditions(), Conditions.SCHEDULED)).isPresent();
    assertThat(status.getPhase()).isEqualTo(Phase.Pending);

    Verdict.built("Index sha256:x is in r.").applyTo(status, 2L);
    assertThat(status.getPhase()).isEqualTo(Phase.Ready);
    assertThat(Conditions.isTrue(status.getConditions(), Conditions.READY)).isTrue();
    assertThat(Conditions.find(status.getConditions(), Conditions.SCHEDULED)).isPresent();
  }

  @Test
  void layersNotReadyNamesThemAndStallsOnAStalledOne() {
    Verdict missing = Verdict.layersNotReady(List.of(LayerWait.of("kernel", Optional.empty())));
    assertThat(missing.message()).isEqualTo("Layer kernel does not exist.");
    assertThat(missing.layersStalled()).isFalse();
    Verdict stalled =
        Verdict.layersNotReady(
            List.of(
                LayerWait.of("kernel", Optional.empty()),
                new LayerWait("base", "Layer base is not Ready (ImageNotFound)", true)));
    assertThat(stalled.layersStalled()).isTrue();

    OSImageStatus status = new OSImageStatus();
    stalled.applyTo(status, 1L);
    assertThat(Conditions.isTrue(status.getConditions(), Conditions.STALLED)).isTrue();
    missing.applyTo(status, 1L);
    assertThat(Conditions.find(status.getConditions(), Conditions.STALLED)).isEmpty();
    assertThat(Conditions.isTrue(status.getConditions(), Conditions.RECONCILING)).isTrue();
  }
}

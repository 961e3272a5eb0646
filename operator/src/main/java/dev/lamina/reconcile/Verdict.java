package dev.lamina.reconcile;

import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyStatus;
import dev.lamina.reconcile.BuildStateMachine.Scheduling;
import dev.lamina.reconcile.BuildStateMachine.Step;
import java.util.List;
import java.util.Optional;

/**
 * What an OSImage's status says at the end of a reconcile: its phase, its Ready condition, and what
 * it says about scheduling. Deciding it is pure; {@link #applyTo} writes it into a status.
 *
 * @param scheduled the Scheduled condition: null leaves it as it is, {@link Scheduled#CLEAR}
 *     removes it, any other value sets it False
 * @param layersStalled the image waits on a Layer that is itself Stalled, or that cannot make a
 *     plan (see {@link Progress#ofOSImage})
 */
record Verdict(
    Phase phase,
    boolean ready,
    String reason,
    String message,
    Scheduled scheduled,
    boolean layersStalled) {

  /** Why build pods are not placed; {@link #CLEAR} when they are. */
  record Scheduled(String reason, String message) {
    static final Scheduled CLEAR = new Scheduled(null, null);
  }

  Verdict(Phase phase, boolean ready, String reason, String message, Scheduled scheduled) {
    this(phase, ready, reason, message, scheduled, false);
  }

  static Verdict pending(String reason, String message) {
    return new Verdict(Phase.Pending, false, reason, message, null);
  }

  static Verdict layersNotReady(List<LayerWait> waits) {
    return new Verdict(
        Phase.Pending,
        false,
        "LayersNotReady",
        LayerWait.message(waits),
        null,
        waits.stream().anyMatch(LayerWait::stalled));
  }

  /** The Layers are Ready but cannot make a plan (one lacks an architecture the image needs). */
  static Verdict planFailed(String message) {
    return new Verdict(Phase.Pending, false, "LayersNotReady", message, null, true);
  }

  static Verdict failed(String reason, String message) {
    return new Verdict(Phase.Failed, false, reason, message, null);
  }

  static Verdict blocked(PolicyStatus policy) {
    return new Verdict(
        Phase.Blocked,
        false,
        "PolicyDenied",
        "Denied by policy: " + Conditions.firstDeny(policy),
        null);
  }

  static Verdict built(String message) {
    return new Verdict(Phase.Ready, true, "Built", message, null);
  }

  /**
   * The verdict while the architectures' steps are not all done: failed, queued for a build slot,
   * or building (perhaps held back); empty when every architecture has succeeded and the index can
   * be pushed.
   */
  static Optional<Verdict> ofBuild(List<Step> steps, int maxBuildPods) {
    List<String> noNode = architectures(steps, s -> s.scheduling() == Scheduling.NO_NODE);
    List<String> unschedulable =
        architectures(steps, s -> s.scheduling() == Scheduling.UNSCHEDULABLE);
    List<String> building = architectures(steps, Step::building);
    List<String> queued = architectures(steps, Step::queued);
    if (!noNode.isEmpty()) {
      String msg =
          "No node has kubernetes.io/arch="
              + String.join(", ", noNode)
              + "; the build pod waits for one.";
      // Nothing is being built while the pod waits for a node that may never come.
      return Optional.of(
          new Verdict(
              Phase.Pending,
              false,
              "NoNodeForArchitecture",
              msg,
              new Scheduled("NoNodeForArchitecture", msg)));
    }
    Scheduled scheduled =
        unschedulable.isEmpty()
            ? Scheduled.CLEAR
            : new Scheduled(
                "Unschedulable",
                "The build pod for " + String.join(", ", unschedulable) + " cannot be scheduled.");
    Optional<ArchitectureStatus> failed =
        steps.stream().filter(Step::failed).map(Step::status).findFirst();
    if (failed.isPresent()) {
      ArchitectureStatus a = failed.get();
      String reason = a.getReason() == null ? "BuildFailed" : a.getReason();
      return Optional.of(
          new Verdict(
              Phase.Failed,
              false,
              reason,
              a.getArchitecture() + " failed after " + a.getAttempts() + " attempt(s): " + said(a),
              scheduled));
    }
    if (building.isEmpty() && !queued.isEmpty()) {
      return Optional.of(
          new Verdict(
              Phase.Queued,
              false,
              "Queued",
              "Waiting for a build slot for "
                  + String.join(", ", queued)
                  + ": at most "
                  + maxBuildPods
                  + " build pods run at once in the cluster.",
              scheduled));
    }
    if (building.isEmpty()) {
      return Optional.empty();
    }
    Optional<ArchitectureStatus> stuck =
        steps.stream().filter(Step::stuck).map(Step::status).findFirst();
    if (stuck.isPresent()) {
      ArchitectureStatus a = stuck.get();
      return Optional.of(
          new Verdict(
              Phase.Building,
              false,
              a.getReason(),
              "Building "
                  + String.join(", ", building)
                  + "; the "
                  + a.getArchitecture()
                  + " build pod cannot start: "
                  + said(a),
              scheduled));
    }
    if (!unschedulable.isEmpty()) {
      return Optional.of(
          new Verdict(Phase.Building, false, "Unschedulable", scheduled.message(), scheduled));
    }
    return Optional.of(
        new Verdict(
            Phase.Building,
            false,
            "Building",
            "Building " + String.join(", ", building) + ".",
            scheduled));
  }

  /** Writes the phase, the message and the conditions (kstatus' too) into {@code status}. */
  void applyTo(OSImageStatus status, Long generation) {
    status.setPhase(phase);
    status.setMessage(message);
    status.setConditions(
        Conditions.set(
            status.getConditions(), Conditions.READY, ready, reason, message, generation));
    if (scheduled == Scheduled.CLEAR) {
      status.setConditions(Conditions.remove(status.getConditions(), Conditions.SCHEDULED));
    } else if (scheduled != null) {
      status.setConditions(
          Conditions.set(
              status.getConditions(),
              Conditions.SCHEDULED,
              false,
              scheduled.reason(),
              scheduled.message(),
              generation));
    }
    status.setConditions(
        Progress.ofOSImage(phase, reason, layersStalled).apply(status.getConditions(), generation));
  }

  /** An architecture's reason and message as one line: "OOMKilled: the build container …". */
  private static String said(ArchitectureStatus a) {
    return a.getReason() == null ? a.getMessage() : a.getReason() + ": " + a.getMessage();
  }

  private static List<String> architectures(
      List<Step> steps, java.util.function.Predicate<Step> which) {
    return steps.stream().filter(which).map(s -> s.status().getArchitecture()).toList();
  }
}

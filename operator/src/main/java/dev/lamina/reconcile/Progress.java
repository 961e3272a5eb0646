package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.Phase;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Set;

/**
 * The kstatus conditions, decided from what a reconcile already wrote in Ready (and, for an
 * OSImage, its phase). kstatus (Flux, kpt, and cli-utils' own waits) reads {@code Reconciling=True}
 * as InProgress and {@code Stalled=True} as Failed; {@code Ready=False} alone reads as InProgress,
 * which kept a Failed or Blocked OSImage "in progress" until a GitOps tool timed out. Both
 * conditions are present only while True, kstatus's "abnormal-true" convention, so a Ready object
 * carries neither.
 */
enum Progress {
  /** Nothing left to do: Ready, or waiting for nothing. */
  DONE,
  /** Work is under way or will be retried by the operator itself. */
  RECONCILING,
  /** Only a change by someone else (spec, policy, registry content, nodes) moves it on. */
  STALLED;

  /** Layer Ready reasons that no re-resolve fixes by itself; RegistryError is retried. */
  static final Set<String> LAYER_STALLED =
      Set.of(LayerReconciler.REFUSED, "ImageNotFound", "RegistryAuth", "PlatformMissing");

  /** OSImage Ready reasons of the Pending and Building phases that wait on someone else. */
  static final Set<String> OSIMAGE_STALLED = Set.of("OutputMissing", "NoNodeForArchitecture");

  static Progress ofLayer(String readyReason, boolean ready) {
    if (ready) {
      return DONE;
    }
    return LAYER_STALLED.contains(readyReason) ? STALLED : RECONCILING;
  }

  static Progress ofImagePolicy(boolean ready) {
    // A policy's only failure is a rule that does not compile: its spec must change.
    return ready ? DONE : STALLED;
  }

  /**
   * @param layersStalled the image waits on a Layer that is itself Stalled, or whose resolution
   *     cannot make a plan (it lacks an architecture the image needs). A Layer that does not exist
   *     yet is not: GitOps tools apply objects in any order, and it may be about to arrive.
   */
  static Progress ofOSImage(Phase phase, String readyReason, boolean layersStalled) {
    if (phase == null) {
      return RECONCILING;
    }
    return switch (phase) {
      case Ready -> DONE;
      case Failed, Blocked -> STALLED;
      case Pending, Queued, Building ->
          layersStalled || OSIMAGE_STALLED.contains(readyReason) ? STALLED : RECONCILING;
    };
  }

  /**
   * {@code conditions} with Reconciling or Stalled set for this state, carrying Ready's reason and
   * message (the reason the user acts on), and the other one removed.
   */
  List<Condition> apply(List<Condition> conditions, Long generation) {
    Condition ready = Conditions.find(conditions, Conditions.READY).orElse(null);
    String reason = ready == null ? "Reconciling" : ready.getReason();
    String message = ready == null ? "" : ready.getMessage();
    List<Condition> result = conditions;
    result =
        this == RECONCILING
            ? Conditions.set(result, Conditions.RECONCILING, true, reason, message, generation)
            : Conditions.remove(result, Conditions.RECONCILING);
    result =
        this == STALLED
            ? Conditions.set(result, Conditions.STALLED, true, reason, message, generation)
            : Conditions.remove(result, Conditions.STALLED);
    return result;
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why an OSImage waits on one of its Layers, in words the user can act on: the Layer does not
 * exist, is not resolved yet, or gives its own reason (ImageNotFound, PolicyDenied, ...).
 *
 * @param stalled the Layer is itself Stalled, so the OSImage waits on someone else too
 */
record LayerWait(String name, String why, boolean stalled) {
  static LayerWait of(String name, Optional<Layer> layer) {
    if (layer.isEmpty()) {
      return new LayerWait(name, "Layer " + name + " does not exist", false);
    }
    Layer l = layer.get();
    if (l.getStatus() == null
        || !Objects.equals(
            l.getMetadata().getGeneration(), l.getStatus().getObservedGeneration())) {
      return new LayerWait(name, "Layer " + name + " is not resolved yet", false);
    }
    Optional<Condition> ready = Conditions.find(l.getStatus().getConditions(), Conditions.READY);
    if (ready.isEmpty() || ready.get().getReason() == null) {
      return new LayerWait(name, "Layer " + name + " is not resolved yet", false);
    }
    Condition c = ready.get();
    String message =
        c.getMessage() == null || c.getMessage().isEmpty() ? "" : ": " + c.getMessage();
    return new LayerWait(
        name,
        "Layer " + name + " is not Ready (" + c.getReason() + message + ")",
        Progress.LAYER_STALLED.contains(c.getReason()));
  }

  /** The Ready message of an OSImage waiting on {@code waits}. */
  static String message(List<LayerWait> waits) {
    String why = waits.stream().map(LayerWait::why).collect(Collectors.joining("; "));
    return why + ".";
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.OSImageStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Events an OSImage's change of status deserves, decided from the status before and after a
 * reconcile: a Warning when it starts waiting on something a user must fix (or the reason changes),
 * and a Normal InputChanged when its input moved with no change to its spec, because a Layer's tag
 * now resolves elsewhere. Repeats of the same status give no Event; {@link Events} counts the ones
 * that recur.
 */
final class StatusEvents {
  /** Ready reasons that hold an image back until someone acts. */
  static final Set<String> WARNINGS =
      Set.of(
          "LayersNotReady",
          "PolicyDenied",
          "NoNodeForArchitecture",
          "Unschedulable",
          "OutputMissing",
          "CreateContainerConfigError",
          "CreateContainerError");

  record Event(String type, String reason, String message) {}

  private StatusEvents() {}

  /**
   * @param specChanged the spec's generation differs from the one {@code old} describes
   */
  static List<Event> of(OSImageStatus old, OSImageStatus now, boolean specChanged) {
    List<Event> events = new ArrayList<>();
    Condition before =
        old == null ? null : Conditions.find(old.getConditions(), Conditions.READY).orElse(null);
    Condition after = Conditions.find(now.getConditions(), Conditions.READY).orElse(null);
    if (after != null
        && WARNINGS.contains(after.getReason())
        && (before == null
            || !Objects.equals(before.getReason(), after.getReason())
            || !Objects.equals(before.getMessage(), after.getMessage()))) {
      events.add(new Event(Events.WARNING, after.getReason(), after.getMessage()));
    }
    if (!specChanged
        && old != null
        && old.getInputDigest() != null
        && now.getInputDigest() != null
        && !old.getInputDigest().equals(now.getInputDigest())) {
      events.add(
          new Event(
              Events.NORMAL,
              "InputChanged",
              moved(old.getLayerDigests(), now.getLayerDigests())
                  + "; input "
                  + old.getInputDigest()
                  + " is now "
                  + now.getInputDigest()
                  + "."));
    }
    return events;
  }

  /** Which Layers resolve elsewhere now, as "Layer base moved from A to B". */
  static String moved(Map<String, String> before, Map<String, String> after) {
    if (before == null || after == null) {
      return "A Layer resolves to another image";
    }
    List<String> moved = new ArrayList<>();
    for (String name : new TreeSet<>(after.keySet())) {
      String was = before.get(name);
      if (was != null && !was.equals(after.get(name))) {
        moved.add("Layer " + name + " moved from " + was + " to " + after.get(name));
      }
    }
    return moved.isEmpty() ? "A Layer resolves to another image" : String.join(", ", moved);
  }
}

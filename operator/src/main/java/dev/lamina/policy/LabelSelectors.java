package dev.lamina.policy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Kubernetes label-selector semantics: matchLabels and matchExpressions, all must hold. */
final class LabelSelectors {
  private LabelSelectors() {}

  /** Why a selector can't be applied, or empty when it is well formed. */
  static Optional<String> problem(LabelSelector selector) {
    if (selector == null || selector.getMatchExpressions() == null) {
      return Optional.empty();
    }
    for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
      String op = r.getOperator();
      List<String> values = r.getValues() == null ? List.of() : r.getValues();
      if (r.getKey() == null || r.getKey().isEmpty()) {
        return Optional.of("a matchExpressions entry has no key");
      }
      if ("In".equals(op) || "NotIn".equals(op)) {
        if (values.isEmpty()) {
          return Optional.of("operator " + op + " on key " + r.getKey() + " needs values");
        }
      } else if ("Exists".equals(op) || "DoesNotExist".equals(op)) {
        if (!values.isEmpty()) {
          return Optional.of("operator " + op + " on key " + r.getKey() + " takes no values");
        }
      } else {
        return Optional.of(
            "unknown operator "
                + op
                + " on key "
                + r.getKey()
                + " (In, NotIn, Exists, DoesNotExist)");
      }
    }
    return Optional.empty();
  }

  /** An absent or empty selector matches everything; a malformed one matches nothing. */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    if (problem(selector).isPresent()) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String value = l.get(r.getKey());
        boolean ok =
            switch (r.getOperator()) {
              case "In" -> value != null && r.getValues().contains(value);
              case "NotIn" -> value == null || !r.getValues().contains(value);
              case "Exists" -> value != null;
              case "DoesNotExist" -> value == null;
              default -> false;
            };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}

package dev.lamina.policy;

import dev.cel.runtime.CelEvaluationException;
import dev.lamina.api.PolicyAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A custom rule of an ImagePolicy, its CEL compiled. */
record CompiledRule(
    String name,
    PolicyAction action,
    Set<String> kinds,
    CelPrograms.Compiled condition,
    CelPrograms.Compiled messageExpression,
    String message,
    String expression) {

  /**
   * Evaluates the rule on {@code object} and reports a failure to {@code sink}. A rule that can't
   * be evaluated fails, unless it reads Layers that are not resolved yet.
   */
  void evaluate(
      HasMetadata object,
      Map<String, Object> vars,
      List<String> unresolvedLayers,
      BuiltInChecks.Sink sink) {
    String target = object.getKind() + "/" + object.getMetadata().getName();
    Object value;
    try {
      value = condition.eval(vars);
    } catch (CelEvaluationException e) {
      if (condition.usesLayers() && !unresolvedLayers.isEmpty()) {
        sink.notEvaluated(target, "needs resolved Layers: " + String.join(", ", unresolvedLayers));
      } else {
        // A rule that can't be evaluated must not pass silently.
        sink.fail(target, "rule could not be evaluated: " + oneLine(e.getMessage()));
      }
      return;
    }
    if (!(value instanceof Boolean passed)) {
      sink.fail(target, "rule gave " + value + " instead of true or false");
    } else if (!passed) {
      sink.fail(target, failureMessage(vars));
    }
  }

  private String failureMessage(Map<String, Object> vars) {
    if (messageExpression != null) {
      try {
        Object m = messageExpression.eval(vars);
        if (m instanceof String s && !s.isBlank()) {
          return s;
        }
      } catch (CelEvaluationException e) {
        // Kubernetes' rule: a failing messageExpression falls back to message.
      }
    }
    if (message != null && !message.isBlank()) {
      return message;
    }
    return "failed: " + expression;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\n\\s*", " ").trim();
  }
}

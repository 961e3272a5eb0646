package dev.lamina.policy;

import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import java.util.List;

/**
 * Everything one evaluation found.
 *
 * @param status what goes into the object's status: exact counts, at most 50 results
 * @param results every result, in the status order (Deny first)
 * @param notEvaluated rules that could not be evaluated yet, and why; they count for nothing
 */
public record Evaluation(
    PolicyStatus status, List<PolicyResult> results, List<NotEvaluated> notEvaluated) {

  /** A rule that needs data not available yet, such as a Layer's resolved platforms. */
  public record NotEvaluated(String rule, String target, String reason) {}
}

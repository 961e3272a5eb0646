package dev.lamina.api;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Builds Kubernetes conditions, keeping lastTransitionTime unless a condition's status changes. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String POLICY_PASSED = "PolicyPassed";
  public static final String SCHEDULED = "Scheduled";

  /** kstatus: True while the operator works towards Ready (Flux and kpt read it as InProgress). */
  public static final String RECONCILING = "Reconciling";

  /** kstatus: True when no retry of the operator's will make progress (read as Failed). */
  public static final String STALLED = "Stalled";

  private Conditions() {}

  /** Returns {@code existing} with {@code type} set; the list is copied, never modified. */
  public static List<Condition> set(
      List<Condition> existing,
      String type,
      boolean status,
      String reason,
      String message,
      Long observedGeneration) {
    List<Condition> result = new ArrayList<>();
    Condition previous = null;
    for (Condition c : existing == null ? List.<Condition>of() : existing) {
      if (type.equals(c.getType())) {
        previous = c;
      } else {
        result.add(c);
      }
    }
    String statusText = status ? "True" : "False";
    String transition =
        previous != null && statusText.equals(previous.getStatus())
            ? previous.getLastTransitionTime()
            : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    result.add(
        new ConditionBuilder()
            .withType(type)
            .withStatus(statusText)
            .withReason(reason)
            .withMessage(message == null ? "" : message)
            .withObservedGeneration(observedGeneration)
            .withLastTransitionTime(transition)
            .build());
    result.sort((a, b) -> a.getType().compareTo(b.getType()));
    return result;
  }

  /** Returns {@code existing} without {@code type}; the list is copied, never modified. */
  public static List<Condition> remove(List<Condition> existing, String type) {
    List<Condition> result = new ArrayList<>();
    for (Condition c : existing == null ? List.<Condition>of() : existing) {
      if (!type.equals(c.getType())) {
        result.add(c);
      }
    }
    return result;
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return Optional.empty();
    }
    return conditions.stream().filter(c -> Objects.equals(type, c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** Returns {@code conditions} with the PolicyPassed condition of {@code policy}'s verdict. */
  public static List<Condition> policy(
      List<Condition> conditions, PolicyStatus policy, Long generation) {
    PolicyVerdict v =
        policy == null || policy.getVerdict() == null ? PolicyVerdict.Pass : policy.getVerdict();
    return switch (v) {
      case Deny ->
          set(
              conditions,
              POLICY_PASSED,
              false,
              "PolicyDenied",
              "Denied by policy: " + firstDeny(policy),
              generation);
      case Warn ->
          set(
              conditions,
              POLICY_PASSED,
              true,
              "PolicyWarned",
              (policy.getWarn() == null ? 0 : policy.getWarn()) + " policy warning(s).",
              generation);
      case Pass ->
          set(
              conditions,
              POLICY_PASSED,
              true,
              "PolicyPassed",
              "All policy rules pass.",
              generation);
    };
  }

  /** The first denying rule and its message, as a user reads it after "Denied by policy: ". */
  public static String firstDeny(PolicyStatus policy) {
    if (policy.getResults() == null) {
      return "a rule denied it.";
    }
    return policy.getResults().stream()
        .filter(r -> r.getAction() == PolicyAction.Deny)
        .findFirst()
        .map(r -> r.getRule() + " " + r.getMessage())
        .orElse("a rule denied it.");
  }
}

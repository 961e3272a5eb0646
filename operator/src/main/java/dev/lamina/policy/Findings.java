package dev.lamina.policy;

import dev.lamina.api.AppliedPolicy;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the rules of every selecting policy found about one object; the same finding from two
 * policies counts once, at the stronger action.
 */
final class Findings {
  private static final Comparator<PolicyResult> RESULT_ORDER =
      Comparator.comparing((PolicyResult r) -> r.getAction() == PolicyAction.Deny ? 0 : 1)
          .thenComparing(PolicyResult::getRule)
          .thenComparing(PolicyResult::getTarget)
          .thenComparing(PolicyResult::getMessage);

  private record Key(String rule, String target, String message) {}

  private final Map<Key, PolicyAction> failed = new HashMap<>();
  private final Map<String, PolicyAction> unlistedAction = new TreeMap<>();
  private final Map<String, Integer> unlistedCount = new TreeMap<>();
  private final Map<List<String>, String> notEvaluated =
      new TreeMap<>(
          Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));

  /** Where rule {@code rule}, acting with {@code action}, reports. */
  BuiltInChecks.Sink sink(String rule, PolicyAction action) {
    return new BuiltInChecks.Sink() {
      @Override
      public void fail(String target, String message) {
        failed.merge(new Key(rule, target, message), action, Findings::stronger);
      }

      @Override
      public void notEvaluated(String target, String reason) {
        notEvaluated.putIfAbsent(List.of(rule, target), reason);
      }

      @Override
      public void failUnlisted(int count) {
        if (count > 0) {
          unlistedAction.merge(rule, action, Findings::stronger);
          unlistedCount.merge(rule, count, Math::max);
        }
      }
    };
  }

  private static PolicyAction stronger(PolicyAction a, PolicyAction b) {
    return a == PolicyAction.Deny || b == PolicyAction.Deny ? PolicyAction.Deny : a;
  }

  /** The status and the full lists, naming the policies in {@code sets}. */
  Evaluation toEvaluation(List<RuleSet> sets) {
    List<PolicyResult> results = new ArrayList<>();
    failed.forEach(
        (k, action) -> {
          PolicyResult r = new PolicyResult();
          r.setRule(k.rule());
          r.setAction(action);
          r.setTarget(k.target());
          r.setMessage(k.message());
          results.add(r);
        });
    results.sort(RESULT_ORDER);
    int deny = (int) results.stream().filter(r -> r.getAction() == PolicyAction.Deny).count();
    int warn = results.size() - deny;
    for (Map.Entry<String, Integer> e : unlistedCount.entrySet()) {
      if (unlistedAction.get(e.getKey()) == PolicyAction.Deny) {
        deny += e.getValue();
      } else {
        warn += e.getValue();
      }
    }
    PolicyStatus status = new PolicyStatus();
    status.setVerdict(
        deny > 0 ? PolicyVerdict.Deny : warn > 0 ? PolicyVerdict.Warn : PolicyVerdict.Pass);
    status.setDeny(deny);
    status.setWarn(warn);
    status.setTotal(deny + warn);
    status.setResults(
        new ArrayList<>(results.subList(0, Math.min(PolicyEngine.MAX_RESULTS, results.size()))));
    List<AppliedPolicy> applied = new ArrayList<>();
    for (RuleSet s : sets) {
      if (s.policy() != null) {
        AppliedPolicy a = new AppliedPolicy();
        a.setName(RuleSet.nameOf(s.policy()));
        a.setGeneration(s.policy().getMetadata().getGeneration());
        applied.add(a);
      }
    }
    status.setPolicies(applied);
    List<Evaluation.NotEvaluated> skipped = new ArrayList<>();
    notEvaluated.forEach(
        (k, reason) -> skipped.add(new Evaluation.NotEvaluated(k.get(0), k.get(1), reason)));
    return new Evaluation(status, List.copyOf(results), List.copyOf(skipped));
  }
}

package dev.lamina.policy;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Evaluates Layers and OSImages against the built-in rules and the ImagePolicies that select them.
 * Every selecting policy is applied on its own (its actions, its parameters, its custom rules) and
 * the results are merged; an object no policy selects gets the built-in rules at their default
 * actions. Immutable once compiled, so one engine may serve concurrent reconciles.
 *
 * <p>Compiling is {@link RuleSet}, the variables CEL sees are {@link CelInput}, and the merged
 * results are {@link Findings}; {@link #assess} is the one way in.
 */
public final class PolicyEngine {
  /** Results listed in a status; the counts stay exact beyond it. */
  public static final int MAX_RESULTS = 50;

  private final List<RuleSet> policies;
  private final Map<String, String> compileErrors;
  private final Map<String, Integer> ruleCounts;

  private PolicyEngine(
      List<RuleSet> policies, Map<String, String> compileErrors, Map<String, Integer> ruleCounts) {
    this.policies = policies;
    this.compileErrors = compileErrors;
    this.ruleCounts = ruleCounts;
  }

  /** Compiles every policy; never throws for bad CEL: those are recorded and not applied. */
  public static PolicyEngine compile(List<ImagePolicy> policies) {
    return compile(policies, CelPrograms.SHARED);
  }

  /**
   * Like {@link #compile(List)} but compiles every expression anew instead of reusing the shared
   * programs; there to measure what the cache saves.
   */
  public static PolicyEngine compileWithoutCache(List<ImagePolicy> policies) {
    return compile(policies, new CelPrograms(false, 0));
  }

  static PolicyEngine compile(List<ImagePolicy> policies, CelPrograms programs) {
    List<RuleSet> compiled = new ArrayList<>();
    Map<String, String> errors = new TreeMap<>();
    Map<String, Integer> counts = new TreeMap<>();
    List<ImagePolicy> sorted = new ArrayList<>(policies);
    sorted.sort(Comparator.comparing(RuleSet::nameOf));
    for (ImagePolicy policy : sorted) {
      List<String> problems = new ArrayList<>();
      RuleSet set = RuleSet.compile(policy, programs, problems);
      if (problems.isEmpty()) {
        compiled.add(set);
        counts.put(RuleSet.nameOf(policy), set.ruleCount());
      } else {
        errors.put(RuleSet.nameOf(policy), String.join("; ", problems));
      }
    }
    return new PolicyEngine(List.copyOf(compiled), errors, counts);
  }

  /** policy name -> compiler message, for policies that did not compile. */
  public Map<String, String> compileErrors() {
    return compileErrors;
  }

  /** Number of rules in force for a policy (built-ins not Off + custom rules), for its status. */
  public int ruleCount(String policyName) {
    return ruleCounts.getOrDefault(policyName, 0);
  }

  /**
   * Whether {@code policy}'s selectors pick {@code object} in a namespace with those labels. Pure
   * label matching: it answers for policies that did not compile too, so a watcher can find what a
   * change affects. A malformed selector selects nothing.
   */
  public boolean selects(
      ImagePolicy policy, HasMetadata object, Map<String, String> namespaceLabels) {
    ImagePolicySpec spec = policy.getSpec();
    if (spec == null) {
      return true;
    }
    return LabelSelectors.matches(spec.getObjectSelector(), object.getMetadata().getLabels())
        && LabelSelectors.matches(spec.getNamespaceSelector(), namespaceLabels);
  }

  /**
   * The strongest action the policies selecting {@code object} give a built-in rule ({@code Deny}
   * over {@code Warn} over {@code Off}); the rule's default when no policy selects it. A build pod
   * learns LMN009's this way, so it can refuse to push artifacts whose overlaps policy denies.
   */
  public PolicyAction action(
      BuiltInRule rule, HasMetadata object, Map<String, String> namespaceLabels) {
    PolicyAction strongest = PolicyAction.Off;
    for (RuleSet set : selecting(object, namespaceLabels)) {
      PolicyAction a = set.actions().get(rule);
      if (a != null && a.ordinal() < strongest.ordinal()) {
        strongest = a;
      }
    }
    return strongest;
  }

  /**
   * Every result of {@code subject} under the policies that select it in a namespace with {@code
   * namespaceLabels}, and the rules that could not be evaluated yet. Its {@link
   * Evaluation#status()} is what goes into the object's status.
   */
  public Evaluation assess(Subject subject, Map<String, String> namespaceLabels) {
    HasMetadata object = subject.object();
    String kind = subject instanceof Subject.OfLayer ? RuleSet.LAYER : RuleSet.OSIMAGE;
    Findings findings = new Findings();
    Map<String, Object> vars = null;
    List<String> unresolved = List.of();
    List<RuleSet> sets = selecting(object, namespaceLabels);
    for (RuleSet set : sets) {
      for (BuiltInRule rule : BuiltInRule.values()) {
        PolicyAction action = set.actions().get(rule);
        if (rule == BuiltInRule.LAYER_TRUSTED) {
          if (action != PolicyAction.Off
              && subject instanceof Subject.OfLayer l
              && trustSelects(set.policy(), l.object())) {
            TrustChecks.layer(set.policy(), l.object(), findings.sink(rule.id(), action));
          }
        } else if (action != PolicyAction.Off) {
          builtIn(rule, subject, set.parameters(), findings.sink(rule.id(), action));
        }
      }
      for (CompiledRule rule : set.customRules()) {
        if (rule.kinds().contains(kind)) {
          if (vars == null) {
            // Built once, and only when a custom rule needs it: converting to maps is the cost.
            if (subject instanceof Subject.OfOSImage o) {
              vars = CelInput.of(o.object(), o.layers());
              unresolved = CelInput.unresolvedLayers(o.object(), o.layers());
            } else {
              vars = CelInput.of(((Subject.OfLayer) subject).object());
            }
          }
          String id = RuleSet.nameOf(set.policy()) + "/" + rule.name();
          rule.evaluate(object, vars, unresolved, findings.sink(id, rule.action()));
        }
      }
    }
    if (subject instanceof Subject.OfOSImage o) {
      inheritLayerDenials(o.layers(), findings);
    }
    return findings.toEvaluation(sets);
  }

  private static void builtIn(
      BuiltInRule rule, Subject subject, Parameters parameters, BuiltInChecks.Sink sink) {
    if (subject instanceof Subject.OfLayer l) {
      if (rule.appliesToLayer()) {
        LayerChecks.check(rule, l.object(), parameters, sink);
      }
    } else if (subject instanceof Subject.OfOSImage o && rule.appliesToOSImage()) {
      BuiltInChecks.osImage(
          rule, o.object(), o.layers(), o.overlaps(), o.overlapCount(), parameters, sink);
    }
  }

  /**
   * A Layer that policy denies on its own (an unvetted registry, say) must not reach a boot path
   * through an OSImage, so each of its Deny results counts against every OSImage that uses it.
   */
  private static void inheritLayerDenials(Map<String, Layer> layers, Findings findings) {
    for (Map.Entry<String, Layer> e : new TreeMap<>(layers).entrySet()) {
      PolicyStatus own =
          e.getValue().getStatus() == null ? null : e.getValue().getStatus().getPolicy();
      if (own == null || own.getVerdict() != PolicyVerdict.Deny) {
        continue;
      }
      int listed = 0;
      for (PolicyResult r : own.getResults() == null ? List.<PolicyResult>of() : own.getResults()) {
        if (r.getAction() == PolicyAction.Deny) {
          listed++;
          findings
              .sink(r.getRule(), PolicyAction.Deny)
              .fail("Layer/" + e.getKey(), "Layer " + e.getKey() + ": " + r.getMessage());
        }
      }
      int total = own.getDeny() == null ? listed : own.getDeny();
      findings.sink("Layer/" + e.getKey(), PolicyAction.Deny).failUnlisted(total - listed);
    }
  }

  /**
   * The ImagePolicies that select {@code layer} and whose spec.trust selects it too: the Layer's
   * digest must be signed by a key of each.
   */
  public List<ImagePolicy> trustPolicies(Layer layer, Map<String, String> namespaceLabels) {
    return selecting(layer, namespaceLabels).stream()
        .map(RuleSet::policy)
        .filter(p -> trustSelects(p, layer))
        .filter(
            p ->
                p.getSpec().getRules() == null
                    || p.getSpec().getRules().get(BuiltInRule.LAYER_TRUSTED.id())
                        != PolicyAction.Off)
        .toList();
  }

  private static boolean trustSelects(ImagePolicy policy, Layer layer) {
    if (policy == null || policy.getSpec() == null || policy.getSpec().getTrust() == null) {
      return false;
    }
    Map<String, String> labels = layer.getMetadata().getLabels();
    // A malformed selector would otherwise switch trust off: it selects every Layer instead.
    return LabelSelectors.problem(policy.getSpec().getTrust().getLayerSelector()).isPresent()
        || LabelSelectors.matches(
            policy.getSpec().getTrust().getLayerSelector(), labels == null ? Map.of() : labels);
  }

  private List<RuleSet> selecting(HasMetadata object, Map<String, String> namespaceLabels) {
    List<RuleSet> sets =
        policies.stream().filter(s -> selects(s.policy(), object, namespaceLabels)).toList();
    return sets.isEmpty() ? List.of(RuleSet.DEFAULTS) : sets;
  }
}

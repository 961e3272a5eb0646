package dev.lamina.policy;

import dev.cel.common.types.CelKind;
import dev.cel.runtime.CelEvaluationException;
import dev.lamina.api.AppliedPolicy;
import dev.lamina.api.CustomRule;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Overlap;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Evaluates Layers and OSImages against the built-in rules and the ImagePolicies that select them.
 * Every selecting policy is applied on its own (its actions, its parameters, its custom rules) and
 * the results are merged; an object no policy selects gets the built-in rules at their default
 * actions. Immutable once compiled, so one engine may serve concurrent reconciles.
 */
public final class PolicyEngine {
  /** Results listed in a status; the counts stay exact beyond it. */
  public static final int MAX_RESULTS = 50;

  static final String LAYER = "Layer";
  static final String OSIMAGE = "OSImage";

  private static final Comparator<PolicyResult> RESULT_ORDER =
      Comparator.comparing((PolicyResult r) -> r.getAction() == PolicyAction.Deny ? 0 : 1)
          .thenComparing(PolicyResult::getRule)
          .thenComparing(PolicyResult::getTarget)
          .thenComparing(PolicyResult::getMessage);

  /** A policy ready to apply. */
  private record RuleSet(
      ImagePolicy policy,
      Map<BuiltInRule, PolicyAction> actions,
      Parameters parameters,
      List<CompiledRule> customRules) {}

  private record CompiledRule(
      String name,
      PolicyAction action,
      Set<String> kinds,
      CelPrograms.Compiled condition,
      CelPrograms.Compiled messageExpression,
      String message,
      String expression) {}

  private static final RuleSet DEFAULTS =
      new RuleSet(null, defaultActions(), Parameters.DEFAULTS, List.of());

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
    sorted.sort(Comparator.comparing(PolicyEngine::nameOf));
    for (ImagePolicy policy : sorted) {
      List<String> problems = new ArrayList<>();
      RuleSet set = compile(policy, programs, problems);
      if (problems.isEmpty()) {
        compiled.add(set);
        counts.put(nameOf(policy), ruleCount(set));
      } else {
        errors.put(nameOf(policy), String.join("; ", problems));
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

  public PolicyStatus evaluateLayer(Layer layer, Map<String, String> namespaceLabels) {
    return assessLayer(layer, namespaceLabels).status();
  }

  /**
   * layers: the OSImage's Layers by name (those that exist); overlaps from build results, may be
   * empty.
   */
  public PolicyStatus evaluateOSImage(
      OSImage image,
      Map<String, Layer> layers,
      Map<String, String> namespaceLabels,
      List<Overlap> overlaps) {
    return assessOSImage(
            image, layers, namespaceLabels, overlaps, overlaps == null ? 0 : overlaps.size())
        .status();
  }

  /**
   * Like {@link #evaluateOSImage(OSImage, Map, Map, List)}, for builds that listed only some of
   * their overlaps: overlapCount is the largest {@code overlapCount} among the build results.
   */
  public PolicyStatus evaluateOSImage(
      OSImage image,
      Map<String, Layer> layers,
      Map<String, String> namespaceLabels,
      List<Overlap> overlaps,
      int overlapCount) {
    return assessOSImage(image, layers, namespaceLabels, overlaps, overlapCount).status();
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

  /** Every result of a Layer, and the rules that could not be evaluated. */
  public Evaluation assessLayer(Layer layer, Map<String, String> namespaceLabels) {
    Findings findings = new Findings();
    Map<String, Object> vars = null;
    List<RuleSet> sets = selecting(layer, namespaceLabels);
    for (RuleSet set : sets) {
      for (BuiltInRule rule : BuiltInRule.values()) {
        PolicyAction action = set.actions().get(rule);
        if (rule.appliesToLayer() && action != PolicyAction.Off) {
          BuiltInChecks.layer(rule, layer, set.parameters(), findings.sink(rule.id(), action));
        }
      }
      for (CompiledRule rule : set.customRules()) {
        if (rule.kinds().contains(LAYER)) {
          if (vars == null) {
            vars = Map.of(CelPrograms.OBJECT, toMap(layer), CelPrograms.LAYERS, Map.of());
          }
          evaluate(set, rule, layer, vars, List.of(), findings);
        }
      }
    }
    return findings.toEvaluation(sets);
  }

  /**
   * Every result of an OSImage, and the rules that could not be evaluated (null overlaps: not built
   * yet).
   */
  public Evaluation assessOSImage(
      OSImage image,
      Map<String, Layer> layers,
      Map<String, String> namespaceLabels,
      List<Overlap> overlaps,
      int overlapCount) {
    Map<String, Layer> known = layers == null ? Map.of() : layers;
    Findings findings = new Findings();
    Map<String, Object> vars = null;
    List<String> unresolved = null;
    List<RuleSet> sets = selecting(image, namespaceLabels);
    for (RuleSet set : sets) {
      for (BuiltInRule rule : BuiltInRule.values()) {
        PolicyAction action = set.actions().get(rule);
        if (rule.appliesToOSImage() && action != PolicyAction.Off) {
          BuiltInChecks.osImage(
              rule,
              image,
              known,
              overlaps,
              overlapCount,
              set.parameters(),
              findings.sink(rule.id(), action));
        }
      }
      for (CompiledRule rule : set.customRules()) {
        if (rule.kinds().contains(OSIMAGE)) {
          if (vars == null) {
            vars =
                Map.of(CelPrograms.OBJECT, toMap(image), CelPrograms.LAYERS, layerStatuses(known));
            unresolved = unresolvedLayers(image, known);
          }
          evaluate(set, rule, image, vars, unresolved, findings);
        }
      }
    }
    inheritLayerDenials(known, findings);
    return findings.toEvaluation(sets);
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

  private List<RuleSet> selecting(HasMetadata object, Map<String, String> namespaceLabels) {
    List<RuleSet> sets =
        policies.stream().filter(s -> selects(s.policy(), object, namespaceLabels)).toList();
    return sets.isEmpty() ? List.of(DEFAULTS) : sets;
  }

  private static void evaluate(
      RuleSet set,
      CompiledRule rule,
      HasMetadata object,
      Map<String, Object> vars,
      List<String> unresolvedLayers,
      Findings findings) {
    String id = nameOf(set.policy()) + "/" + rule.name();
    String target = object.getKind() + "/" + object.getMetadata().getName();
    BuiltInChecks.Sink sink = findings.sink(id, rule.action());
    Object value;
    try {
      value = rule.condition().eval(vars);
    } catch (CelEvaluationException e) {
      if (rule.condition().usesLayers() && !unresolvedLayers.isEmpty()) {
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
      sink.fail(target, message(rule, vars));
    }
  }

  private static String message(CompiledRule rule, Map<String, Object> vars) {
    if (rule.messageExpression() != null) {
      try {
        Object m = rule.messageExpression().eval(vars);
        if (m instanceof String s && !s.isBlank()) {
          return s;
        }
      } catch (CelEvaluationException e) {
        // Kubernetes' rule: a failing messageExpression falls back to message.
      }
    }
    if (rule.message() != null && !rule.message().isBlank()) {
      return rule.message();
    }
    return "failed: " + rule.expression();
  }

  private static RuleSet compile(ImagePolicy policy, CelPrograms programs, List<String> problems) {
    ImagePolicySpec spec = policy.getSpec() == null ? new ImagePolicySpec() : policy.getSpec();
    LabelSelectors.problem(spec.getObjectSelector())
        .ifPresent(p -> problems.add("objectSelector: " + p));
    LabelSelectors.problem(spec.getNamespaceSelector())
        .ifPresent(p -> problems.add("namespaceSelector: " + p));

    Map<BuiltInRule, PolicyAction> actions = defaultActions();
    if (spec.getRules() != null) {
      for (Map.Entry<String, PolicyAction> e : new TreeMap<>(spec.getRules()).entrySet()) {
        var rule = BuiltInRule.byId(e.getKey());
        if (rule.isEmpty()) {
          problems.add("rules: unknown built-in rule " + e.getKey());
        } else if (e.getValue() == null) {
          problems.add("rules: " + e.getKey() + " has no action (Deny, Warn or Off)");
        } else {
          actions.put(rule.get(), e.getValue());
        }
      }
    }

    List<CompiledRule> custom = new ArrayList<>();
    if (spec.getCustomRules() != null) {
      for (CustomRule r : spec.getCustomRules()) {
        String label = "customRules " + r.getName();
        if (r.getName() == null || r.getName().isBlank()) {
          problems.add("customRules: a rule has no name");
          continue;
        }
        if (custom.stream().anyMatch(c -> c.name().equals(r.getName()))) {
          problems.add(label + ": the name is used twice");
          continue;
        }
        PolicyAction action = r.getAction() == null ? PolicyAction.Deny : r.getAction();
        Set<String> kinds =
            r.getKinds() == null || r.getKinds().isEmpty()
                ? Set.of(LAYER, OSIMAGE)
                : Set.copyOf(r.getKinds());
        for (String kind : kinds) {
          if (!kind.equals(LAYER) && !kind.equals(OSIMAGE)) {
            problems.add(label + ": unknown kind " + kind + " (Layer, OSImage)");
          }
        }
        if (r.getExpression() == null || r.getExpression().isBlank()) {
          problems.add(label + ": expression is empty");
          continue;
        }
        CelPrograms.Compiled condition = programs.get(r.getExpression());
        if (!condition.ok()) {
          problems.add(label + ": expression: " + condition.error());
        } else if (condition.resultKind() != CelKind.BOOL
            && condition.resultKind() != CelKind.DYN) {
          problems.add(
              label + ": expression gives " + kindName(condition.resultKind()) + ", not bool");
        }
        CelPrograms.Compiled messageExpression = null;
        if (r.getMessageExpression() != null && !r.getMessageExpression().isBlank()) {
          messageExpression = programs.get(r.getMessageExpression());
          if (!messageExpression.ok()) {
            problems.add(label + ": messageExpression: " + messageExpression.error());
          } else if (messageExpression.resultKind() != CelKind.STRING
              && messageExpression.resultKind() != CelKind.DYN) {
            problems.add(
                label
                    + ": messageExpression gives "
                    + kindName(messageExpression.resultKind())
                    + ", not string");
          }
        }
        if (action != PolicyAction.Off) {
          custom.add(
              new CompiledRule(
                  r.getName(),
                  action,
                  kinds,
                  condition,
                  messageExpression,
                  r.getMessage(),
                  r.getExpression()));
        }
      }
    }
    return new RuleSet(policy, actions, Parameters.of(spec.getParameters()), List.copyOf(custom));
  }

  private static int ruleCount(RuleSet set) {
    int builtIns = (int) set.actions().values().stream().filter(a -> a != PolicyAction.Off).count();
    return builtIns + set.customRules().size();
  }

  private static Map<BuiltInRule, PolicyAction> defaultActions() {
    Map<BuiltInRule, PolicyAction> actions = new EnumMap<>(BuiltInRule.class);
    for (BuiltInRule r : BuiltInRule.values()) {
      actions.put(r, r.defaultAction());
    }
    return actions;
  }

  private static String kindName(CelKind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String nameOf(ImagePolicy policy) {
    return policy.getMetadata() == null || policy.getMetadata().getName() == null
        ? ""
        : policy.getMetadata().getName();
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\n\\s*", " ").trim();
  }

  private static List<String> unresolvedLayers(OSImage image, Map<String, Layer> layers) {
    if (image.getSpec() == null) {
      return List.of();
    }
    return BuiltInChecks.layerNames(image.getSpec()).stream()
        .filter(n -> BuiltInChecks.resolvedPlatforms(layers.get(n)).isEmpty())
        .collect(Collectors.toList());
  }

  private static Map<String, Object> layerStatuses(Map<String, Layer> layers) {
    Map<String, Object> statuses = new HashMap<>();
    layers.forEach(
        (name, layer) ->
            statuses.put(name, layer.getStatus() == null ? Map.of() : toMap(layer.getStatus())));
    return statuses;
  }

  /** The object as CEL sees it: JSON maps, with null fields left out so has() tells absence. */
  static Map<String, Object> toMap(Object object) {
    @SuppressWarnings("unchecked")
    Map<String, Object> map = Serialization.jsonMapper().convertValue(object, Map.class);
    return withoutNulls(map);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutNulls(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> {
          if (v != null) {
            out.put(k, clean(v));
          }
        });
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object clean(Object v) {
    if (v instanceof Map<?, ?> m) {
      return withoutNulls((Map<String, Object>) m);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        if (o != null) {
          out.add(clean(o));
        }
      }
      return out;
    }
    if (v instanceof Integer i) {
      return i.longValue();
    }
    return v;
  }

  /** Collects results across policies; the same finding from two policies counts once. */
  private static final class Findings {
    private record Key(String rule, String target, String message) {}

    private final Map<Key, PolicyAction> failed = new HashMap<>();
    private final Map<String, PolicyAction> unlistedAction = new TreeMap<>();
    private final Map<String, Integer> unlistedCount = new TreeMap<>();
    private final Map<List<String>, String> notEvaluated =
        new TreeMap<>(
            Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));

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
      status.setResults(new ArrayList<>(results.subList(0, Math.min(MAX_RESULTS, results.size()))));
      List<AppliedPolicy> applied = new ArrayList<>();
      for (RuleSet s : sets) {
        if (s.policy() != null) {
          AppliedPolicy a = new AppliedPolicy();
          a.setName(nameOf(s.policy()));
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
}

package dev.lamina.policy;

import dev.cel.common.types.CelKind;
import dev.lamina.api.CustomRule;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.PolicyAction;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One ImagePolicy compiled and ready to apply: the action of each built-in rule, its parameters,
 * and its custom rules with their CEL compiled.
 *
 * @param policy null for the built-in defaults that apply when no policy selects an object
 */
record RuleSet(
    ImagePolicy policy,
    Map<BuiltInRule, PolicyAction> actions,
    Parameters parameters,
    List<CompiledRule> customRules) {

  static final String LAYER = "Layer";
  static final String OSIMAGE = "OSImage";

  /** The built-in rules at their default actions, for objects no policy selects. */
  static final RuleSet DEFAULTS =
      new RuleSet(null, defaultActions(), Parameters.DEFAULTS, List.of());

  /** Rules in force (built-ins not Off, and custom rules), for the policy's status. */
  int ruleCount() {
    int builtIns = (int) actions.values().stream().filter(a -> a != PolicyAction.Off).count();
    return builtIns + customRules.size();
  }

  /**
   * Compiles {@code policy}; what is wrong with it goes to {@code problems}, and a policy with
   * problems must not be applied.
   */
  static RuleSet compile(ImagePolicy policy, CelPrograms programs, List<String> problems) {
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
        if (r.getName() == null || r.getName().isBlank()) {
          problems.add("customRules: a rule has no name");
        } else if (custom.stream().anyMatch(c -> c.name().equals(r.getName()))) {
          problems.add("customRules " + r.getName() + ": the name is used twice");
        } else {
          compile(r, programs, problems).ifPresent(custom::add);
        }
      }
    }
    return new RuleSet(policy, actions, Parameters.of(spec.getParameters()), List.copyOf(custom));
  }

  /** A custom rule, or empty when it is Off or its expression is empty. */
  private static Optional<CompiledRule> compile(
      CustomRule r, CelPrograms programs, List<String> problems) {
    String label = "customRules " + r.getName();
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
      return Optional.empty();
    }
    CelPrograms.Compiled condition = programs.get(r.getExpression());
    if (!condition.ok()) {
      problems.add(label + ": expression: " + condition.error());
    } else if (condition.resultKind() != CelKind.BOOL && condition.resultKind() != CelKind.DYN) {
      problems.add(label + ": expression gives " + kindName(condition.resultKind()) + ", not bool");
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
    if (action == PolicyAction.Off) {
      return Optional.empty();
    }
    return Optional.of(
        new CompiledRule(
            r.getName(),
            action,
            kinds,
            condition,
            messageExpression,
            r.getMessage(),
            r.getExpression()));
  }

  private static Map<BuiltInRule, PolicyAction> defaultActions() {
    Map<BuiltInRule, PolicyAction> actions = new EnumMap<>(BuiltInRule.class);
    for (BuiltInRule r : BuiltInRule.values()) {
      actions.put(r, r.defaultAction());
    }
    return actions;
  }

  private static String kindName(CelKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  /** A policy's name, "" when it has none. */
  static String nameOf(ImagePolicy policy) {
    return policy.getMetadata() == null || policy.getMetadata().getName() == null
        ? ""
        : policy.getMetadata().getName();
  }
}

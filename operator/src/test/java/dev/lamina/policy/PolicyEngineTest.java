package dev.lamina.policy;

import static dev.lamina.policy.Fixtures.DIGEST;
import static dev.lamina.policy.Fixtures.layer;
import static dev.lamina.policy.Fixtures.osImage;
import static dev.lamina.policy.Fixtures.policy;
import static dev.lamina.policy.Fixtures.resolved;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** ImagePolicy selection, actions, CEL custom rules and the shape of the status. */
class PolicyEngineTest {
  static final Map<String, String> PROD = Map.of("env", "prod");

  static final OSImage IMAGE =
      osImage(
          """
          metadata: {name: edge, namespace: ns, labels: {tier: edge}}
          spec:
            architectures: [amd64, arm64]
            kernel: {layer: kernel, cmdline: console=ttyS0}
            init: [base, app]
            files:
            - {path: etc/hostname, contents: edge}
            - {path: etc/motd, contents: hello, mode: '0644'}
            output: {repository: registry.example.com/os/edge}
          """);

  static Map<String, Layer> layers() {
    Map<String, Layer> m = new TreeMap<>();
    m.put("kernel", resolved("kernel", 1000, "linux/amd64", "linux/arm64"));
    m.put("base", resolved("base", 1000, "linux/amd64", "linux/arm64"));
    m.put("app", resolved("app", 1000, "linux/amd64"));
    return m;
  }

  static ImagePolicy customRule(String name, String ruleYaml) {
    return policy(
        "metadata: {name: "
            + name
            + ", generation: 3}\nspec:\n  customRules:\n"
            + ruleYaml.indent(2));
  }

  static PolicyStatus evalImage(PolicyEngine engine) {
    return engine.assess(Subject.osImage(IMAGE, layers(), List.of(), 0), PROD).status();
  }

  static List<String> rules(PolicyStatus status) {
    return status.getResults().stream().map(PolicyResult::getRule).toList();
  }

  @Test
  void withoutPoliciesBuiltInRulesUseTheirDefaults() {
    PolicyStatus s =
        PolicyEngine.compile(List.of())
            .assess(Subject.layer(layer("a", "ghcr.io/x/a:1")), Map.of())
            .status();
    assertThat(s.getVerdict()).isEqualTo(PolicyVerdict.Warn);
    assertThat(s.getResults())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getRule()).isEqualTo("LMN001");
              assertThat(r.getAction()).isEqualTo(PolicyAction.Warn);
              assertThat(r.getTarget()).isEqualTo("spec.image");
            });
    assertThat(s.getPolicies()).isEmpty();
  }

  @Test
  void osImageInheritsTheDenialsOfItsLayers() {
    ImagePolicy onlyGhcr =
        policy("metadata: {name: only-ghcr}\nspec: {parameters: {allowedRegistries: [quay.io]}}");
    PolicyEngine engine = PolicyEngine.compile(List.of(onlyGhcr));
    Map<String, Layer> layers = layers();
    for (Layer l : layers.values()) {
      l.getStatus().setPolicy(engine.assess(Subject.layer(l), Map.of()).status());
    }
    assertThat(layers.get("base").getStatus().getPolicy().getVerdict())
        .isEqualTo(PolicyVerdict.Deny);

    PolicyStatus s = engine.assess(Subject.osImage(IMAGE, layers, List.of(), 0), Map.of()).status();
    PolicyStatus withoutLayerVerdicts =
        engine.assess(Subject.osImage(IMAGE, layers(), List.of(), 0), Map.of()).status();

    assertThat(s.getVerdict()).isEqualTo(PolicyVerdict.Deny);
    int layerDenials =
        layers.values().stream().mapToInt(l -> l.getStatus().getPolicy().getDeny()).sum();
    assertThat(layerDenials).isGreaterThanOrEqualTo(3);
    assertThat(s.getDeny()).isEqualTo(withoutLayerVerdicts.getDeny() + layerDenials);
    assertThat(s.getResults())
        .filteredOn(r -> r.getTarget().startsWith("Layer/"))
        .extracting(PolicyResult::getRule, PolicyResult::getTarget)
        .contains(
            tuple("LMN002", "Layer/app"),
            tuple("LMN002", "Layer/base"),
            tuple("LMN002", "Layer/kernel"));
    assertThat(s.getResults().get(0).getMessage()).startsWith("Layer ").contains("ghcr.io");

    assertThat(withoutLayerVerdicts.getResults())
        .noneMatch(r -> r.getTarget().startsWith("Layer/"));
  }

  @Test
  void policySetsTheActionOfABuiltInRule() {
    ImagePolicy deny =
        policy("metadata: {name: strict, generation: 2}\nspec: {rules: {LMN001: Deny}}");
    ImagePolicy off = policy("metadata: {name: lax, generation: 1}\nspec: {rules: {LMN001: Off}}");
    Layer unpinned = layer("a", "ghcr.io/x/a:1");

    PolicyStatus denied =
        PolicyEngine.compile(List.of(deny)).assess(Subject.layer(unpinned), Map.of()).status();
    assertThat(denied.getVerdict()).isEqualTo(PolicyVerdict.Deny);
    assertThat(denied.getDeny()).isEqualTo(1);
    assertThat(denied.getPolicies())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("strict");
              assertThat(p.getGeneration()).isEqualTo(2L);
            });

    PolicyEngine lax = PolicyEngine.compile(List.of(off));
    assertThat(lax.assess(Subject.layer(unpinned), Map.of()).status().getVerdict())
        .isEqualTo(PolicyVerdict.Pass);
    assertThat(lax.ruleCount("lax")).isEqualTo(onByDefault() - 1);
  }

  @Test
  void everySelectingPolicyAppliesAndTheSameFindingCountsOnce() {
    ImagePolicy warn = policy("metadata: {name: a}\nspec: {rules: {LMN001: Warn}}");
    ImagePolicy deny = policy("metadata: {name: b}\nspec: {rules: {LMN001: Deny}}");
    ImagePolicy off = policy("metadata: {name: c}\nspec: {rules: {LMN001: Off}}");
    PolicyStatus s =
        PolicyEngine.compile(List.of(warn, deny, off))
            .assess(Subject.layer(layer("a", "ghcr.io/x/a:1")), Map.of())
            .status();
    assertThat(s.getTotal()).isEqualTo(1);
    assertThat(s.getResults())
        .singleElement()
        .extracting(PolicyResult::getAction)
        .isEqualTo(PolicyAction.Deny);
    assertThat(s.getPolicies()).extracting(p -> p.getName()).containsExactly("a", "b", "c");
  }

  @Test
  void objectSelectorMatchesLabelsAndExpressions() {
    ImagePolicy p =
        policy(
            """
            metadata: {name: edge-only}
            spec:
              objectSelector:
                matchLabels: {tier: edge}
                matchExpressions:
                - {key: team, operator: NotIn, values: [lab]}
                - {key: legacy, operator: DoesNotExist}
              rules: {LMN001: Deny}
            """);
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    Layer edge = layer("metadata: {name: a, labels: {tier: edge}}\nspec: {image: 'x.io/a:1'}");
    Layer lab =
        layer("metadata: {name: a, labels: {tier: edge, team: lab}}\nspec: {image: 'x.io/a:1'}");
    Layer legacy =
        layer("metadata: {name: a, labels: {tier: edge, legacy: 'y'}}\nspec: {image: 'x.io/a:1'}");
    Layer core = layer("metadata: {name: a, labels: {tier: core}}\nspec: {image: 'x.io/a:1'}");

    assertThat(engine.selects(p, edge, Map.of())).isTrue();
    assertThat(engine.selects(p, lab, Map.of())).isFalse();
    assertThat(engine.selects(p, legacy, Map.of())).isFalse();
    assertThat(engine.selects(p, core, Map.of())).isFalse();
    assertThat(engine.assess(Subject.layer(edge), Map.of()).status().getVerdict())
        .isEqualTo(PolicyVerdict.Deny);
    // Selected by no policy: the defaults apply.
    assertThat(engine.assess(Subject.layer(core), Map.of()).status().getVerdict())
        .isEqualTo(PolicyVerdict.Warn);
  }

  @Test
  void namespaceSelectorMatchesNamespaceLabels() {
    ImagePolicy p =
        policy(
            """
            metadata: {name: prod}
            spec:
              namespaceSelector:
                matchExpressions:
                - {key: env, operator: In, values: [prod, staging]}
                - {key: lamina.dev/enforce-pinned, operator: Exists}
              rules: {LMN001: Deny}
            """);
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    Layer l = layer("a", "ghcr.io/x/a:1");
    Map<String, String> enforced = Map.of("env", "staging", "lamina.dev/enforce-pinned", "true");
    assertThat(engine.selects(p, l, enforced)).isTrue();
    assertThat(engine.selects(p, l, Map.of("env", "staging"))).isFalse();
    assertThat(engine.selects(p, l, Map.of("env", "dev", "lamina.dev/enforce-pinned", "true")))
        .isFalse();
    assertThat(engine.selects(p, l, null)).isFalse();
    assertThat(engine.assess(Subject.layer(l), enforced).status().getVerdict())
        .isEqualTo(PolicyVerdict.Deny);
  }

  @Test
  void malformedSelectorIsReportedAndSelectsNothing() {
    ImagePolicy p =
        policy(
            """
            metadata: {name: typo}
            spec:
              objectSelector:
                matchExpressions: [{key: tier, operator: Equals, values: [edge]}]
            """);
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    assertThat(engine.compileErrors()).containsOnlyKeys("typo");
    assertThat(engine.compileErrors().get("typo")).contains("unknown operator Equals");
    assertThat(engine.selects(p, layer("a", "x.io/a:1"), Map.of())).isFalse();
  }

  @Test
  void unknownRuleIdIsACompileError() {
    ImagePolicy p = policy("metadata: {name: future}\nspec: {rules: {LMN999: Deny}}");
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    assertThat(engine.compileErrors())
        .containsEntry("future", "rules: unknown built-in rule LMN999");
    assertThat(engine.ruleCount("future")).isZero();
  }

  @Test
  void celRuleReadsNestedFields() {
    ImagePolicy p =
        customRule(
            "files",
            """
            - name: no-motd
              expression: "!has(object.spec.files) || object.spec.files.all(f, f.path != 'etc/motd')"
              message: etc/motd is managed by the base layer
            - name: hostname-set
              expression: "object.spec.files.exists(f, f.path == 'etc/hostname' && f.contents == object.metadata.name)"
              action: Warn
            """);
    PolicyStatus s = evalImage(PolicyEngine.compile(List.of(p)));
    assertThat(s.getResults())
        .filteredOn(r -> r.getRule().startsWith("files/"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getRule()).isEqualTo("files/no-motd");
              assertThat(r.getAction()).isEqualTo(PolicyAction.Deny);
              assertThat(r.getTarget()).isEqualTo("OSImage/edge");
              assertThat(r.getMessage()).isEqualTo("etc/motd is managed by the base layer");
            });
  }

  @Test
  void celRuleReadsResolvedLayers() {
    ImagePolicy p =
        customRule(
            "multiarch",
            """
            - name: init-layers-multiarch
              kinds: [OSImage]
              expression: "object.spec.init.all(n, layers[n].platforms.size() >= 2)"
              messageExpression: >-
                'single-platform init layers: ' + object.spec.init
                .filter(n, layers[n].platforms.size() < 2).join(', ')
            """);
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    assertThat(engine.compileErrors()).isEmpty();
    PolicyStatus s = evalImage(engine);
    assertThat(s.getResults())
        .filteredOn(r -> r.getRule().equals("multiarch/init-layers-multiarch"))
        .singleElement()
        .extracting(PolicyResult::getMessage)
        .isEqualTo("single-platform init layers: app");

    Map<String, Layer> allMulti = layers();
    allMulti.put("app", resolved("app", 1, "linux/amd64", "linux/arm64"));
    assertThat(rules(engine.assess(Subject.osImage(IMAGE, allMulti, List.of(), 0), PROD).status()))
        .doesNotContain("multiarch/init-layers-multiarch");
  }

  @Test
  void celRuleNeedingUnresolvedLayersIsNotEvaluated() {
    ImagePolicy p =
        customRule(
            "sizes",
            "- {name: small, expression: \"layers['base'].platforms.all(p, p.layersSize < 10)\"}");
    Map<String, Layer> unresolved = layers();
    unresolved.put("base", layer("base", "ghcr.io/x/base:1"));
    Evaluation e =
        PolicyEngine.compile(List.of(p))
            .assess(Subject.osImage(IMAGE, unresolved, List.of(), 0), PROD);
    assertThat(e.results()).noneMatch(r -> r.getRule().equals("sizes/small"));
    assertThat(e.notEvaluated())
        .anySatisfy(
            n -> {
              assertThat(n.rule()).isEqualTo("sizes/small");
              assertThat(n.reason()).isEqualTo("needs resolved Layers: base");
            });
  }

  @Test
  void celRuleThatFailsToEvaluateIsAResultNotAPass() {
    ImagePolicy p =
        customRule(
            "strict", "- {name: tagged, expression: \"object.spec.output.tag == 'stable'\"}");
    PolicyStatus s = evalImage(PolicyEngine.compile(List.of(p)));
    assertThat(s.getResults())
        .filteredOn(r -> r.getRule().equals("strict/tagged"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getAction()).isEqualTo(PolicyAction.Deny);
              assertThat(r.getMessage())
                  .startsWith("rule could not be evaluated: ")
                  .contains("tag");
            });
  }

  @Test
  void messageExpressionFallsBackToMessageWhenItFails() {
    ImagePolicy p =
        customRule(
            "m",
            """
            - name: pinned-by-rule
              kinds: [Layer]
              expression: "object.spec.image.contains('@sha256:')"
              messageExpression: "'no digest in ' + object.spec.nosuchfield"
              message: pin the image
            - name: registry
              kinds: [Layer]
              expression: "object.spec.image.startsWith('ghcr.io/')"
              messageExpression: "object.metadata.name + ' pulls from ' + object.spec.image.split('/')[0]"
            """);
    PolicyStatus s =
        PolicyEngine.compile(List.of(p))
            .assess(Subject.layer(layer("base", "quay.io/x/a:1")), Map.of())
            .status();
    assertThat(s.getResults())
        .filteredOn(r -> r.getRule().startsWith("m/"))
        .extracting(PolicyResult::getRule, PolicyResult::getMessage)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("m/pinned-by-rule", "pin the image"),
            org.assertj.core.groups.Tuple.tuple("m/registry", "base pulls from quay.io"));
  }

  @Test
  void ruleLimitedToOSImagesSkipsLayers() {
    ImagePolicy p = customRule("k", "- {name: never, kinds: [OSImage], expression: 'false'}");
    PolicyEngine engine = PolicyEngine.compile(List.of(p));
    assertThat(
            rules(engine.assess(Subject.layer(layer("a", "x.io/a@" + DIGEST)), Map.of()).status()))
        .isEmpty();
    assertThat(rules(evalImage(engine))).contains("k/never");
  }

  @Test
  void brokenCelIsReportedAndThePolicyIsNotApplied() {
    ImagePolicy broken =
        customRule(
            "broken",
            """
            - {name: ok, expression: 'false'}
            - {name: bad, expression: 'object.spec.image.startsWith(', message: x}
            """);
    ImagePolicy good =
        customRule("good", "- {name: pinned, expression: \"object.spec.image.contains('@')\"}");
    PolicyEngine engine = PolicyEngine.compile(List.of(broken, good));
    assertThat(engine.compileErrors()).containsOnlyKeys("broken");
    assertThat(engine.compileErrors().get("broken"))
        .startsWith("customRules bad: expression: 1:")
        .doesNotContain("\n");
    assertThat(engine.ruleCount("broken")).isZero();
    assertThat(engine.ruleCount("good")).isEqualTo(onByDefault() + 1);

    PolicyStatus s = engine.assess(Subject.layer(layer("a", "ghcr.io/x/a:1")), Map.of()).status();
    assertThat(rules(s)).contains("good/pinned").doesNotContain("broken/ok");
    assertThat(s.getPolicies()).extracting(a -> a.getName()).containsExactly("good");
  }

  @Test
  void expressionMustGiveABool() {
    ImagePolicy p =
        customRule(
            "types",
            """
            - {name: count, expression: 'size(object.spec)'}
            - {name: msg, expression: 'true', messageExpression: '42'}
            - {name: undeclared, expression: 'image.size() > 0'}
            """);
    String error = PolicyEngine.compile(List.of(p)).compileErrors().get("types");
    assertThat(error)
        .contains("customRules count: expression gives int, not bool")
        .contains("customRules msg: messageExpression gives int, not string")
        .contains("customRules undeclared: expression: 1:1: undeclared reference to 'image'");
  }

  @Test
  void compiledProgramsAreReusedAcrossEngines() {
    CelPrograms programs = new CelPrograms(true, 100);
    ImagePolicy p =
        customRule(
            "c",
            """
            - {name: a, expression: "has(object.spec)", messageExpression: "'x'"}
            - {name: b, expression: "has(object.metadata)"}
            """);
    PolicyEngine.compile(List.of(p), programs);
    assertThat(programs.compilations()).isEqualTo(3);
    PolicyEngine.compile(List.of(p), programs);
    PolicyEngine.compile(
        List.of(customRule("d", "- {name: a, expression: \"has(object.spec)\"}")), programs);
    assertThat(programs.compilations()).isEqualTo(3);

    CelPrograms uncached = new CelPrograms(false, 0);
    PolicyEngine.compile(List.of(p), uncached);
    PolicyEngine.compile(List.of(p), uncached);
    assertThat(uncached.compilations()).isEqualTo(6);
  }

  @Test
  void statusListsAtMostFiftyResultsDenyFirstWithExactCounts() {
    StringBuilder files = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      files.append(String.format("- {path: bin/tool%02d, contents: x, mode: '4777'}%n", i));
    }
    OSImage many =
        osImage(
            "metadata: {name: many, namespace: ns}\nspec:\n  architectures: [amd64]\n  files:\n"
                + files.toString().indent(2));
    ImagePolicy p = policy("metadata: {name: p}\nspec: {rules: {LMN005: Warn}}");
    PolicyStatus s =
        PolicyEngine.compile(List.of(p))
            .assess(Subject.osImage(many, Map.of(), List.of(), 0), Map.of())
            .status();
    assertThat(s.getDeny()).isEqualTo(60);
    assertThat(s.getWarn()).isEqualTo(60);
    assertThat(s.getTotal()).isEqualTo(120);
    assertThat(s.getResults()).hasSize(PolicyEngine.MAX_RESULTS);
    assertThat(s.getResults()).allMatch(r -> r.getAction() == PolicyAction.Deny);
    assertThat(s.getResults().get(0).getTarget()).isEqualTo("spec.files[bin/tool00]");
    assertThat(s.getResults().get(49).getTarget()).isEqualTo("spec.files[bin/tool49]");
  }

  @Test
  void sameInputsGiveTheSameStatusWhateverTheOrder() {
    ImagePolicy a = customRule("a", "- {name: x, expression: 'false', message: from a}");
    ImagePolicy b = customRule("b", "- {name: x, expression: 'false', message: from b}");
    OSImage bad =
        osImage(
            """
            metadata: {name: bad, namespace: ns}
            spec:
              architectures: [amd64]
              kernel: {cmdline: 'single init=/bin/sh rd.break'}
              files:
              - {path: z, contents: x, mode: '0777'}
              - {path: a, contents: x, mode: '6777'}
            """);
    List<ImagePolicy> order = new ArrayList<>(List.of(a, b));
    String first =
        Serialization.asJson(
            PolicyEngine.compile(order)
                .assess(Subject.osImage(bad, Map.of(), List.of(), 0), Map.of())
                .status());
    Collections.reverse(order);
    String second =
        Serialization.asJson(
            PolicyEngine.compile(order)
                .assess(Subject.osImage(bad, Map.of(), List.of(), 0), Map.of())
                .status());
    assertThat(second).isEqualTo(first);
    assertThat(first).contains("\"from a\"").contains("\"from b\"");
  }

  /** Built-in rules a policy applies unless it turns them off (some are Off by default). */
  private static int onByDefault() {
    return (int)
        java.util.Arrays.stream(BuiltInRule.values())
            .filter(r -> r.defaultAction() != dev.lamina.api.PolicyAction.Off)
            .count();
  }
}

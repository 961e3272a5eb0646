package dev.lamina.policy;

import static dev.lamina.policy.Fixtures.DIGEST;
import static dev.lamina.policy.Fixtures.layer;
import static dev.lamina.policy.Fixtures.osImage;
import static dev.lamina.policy.Fixtures.policy;
import static dev.lamina.policy.Fixtures.resolved;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.PolicyResult;
import dev.lamina.build.BuildResult.Overlap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each built-in rule, passing and failing, with its default action or a policy's parameters. */
class BuiltInRulesTest {

  /**
   * One row: evaluate an object, then expect {@code failures} results of {@code rule} (or, when
   * failures is -1, that the rule reports it could not be evaluated).
   */
  record Case(
      String name,
      String rule,
      Function<PolicyEngine, Evaluation> run,
      int failures,
      ImagePolicy policy) {
    PolicyEngine engine() {
      return PolicyEngine.compile(policy == null ? List.of() : List.of(policy));
    }

    @Override
    public String toString() {
      return rule + " " + name;
    }
  }

  static final Map<String, String> NS = Map.of();

  static Case layerCase(String name, String rule, Layer layer, ImagePolicy policy, int failures) {
    return new Case(name, rule, e -> e.assessLayer(layer, NS), failures, policy);
  }

  static Case imageCase(
      String name,
      String rule,
      OSImage image,
      List<Layer> layers,
      List<Overlap> overlaps,
      int overlapCount,
      ImagePolicy policy,
      int failures) {
    Map<String, Layer> byName = byName(layers);
    return new Case(
        name, rule, e -> e.assessOSImage(image, byName, NS, overlaps, overlapCount), failures,
        policy);
  }

  /** An OSImage for both architectures; extraSpec may replace the kernel line. */
  static OSImage image(String extraSpec) {
    String kernel = extraSpec.startsWith("kernel:") ? "" : "  kernel: {layer: kernel}\n";
    return osImage(
        """
        metadata: {name: img, namespace: ns}
        spec:
          architectures: [amd64, arm64]
          init: [base, app]
        """
            + kernel
            + extraSpec.indent(2));
  }

  static OSImage imageWithFiles(String... files) {
    return image("files:\n" + String.join("\n", files));
  }

  static final List<Layer> BOTH_ARCHES =
      List.of(
          resolved("kernel", 100, "linux/amd64", "linux/arm64"),
          resolved("base", 100, "linux/amd64", "linux/arm64"),
          resolved("app", 100, "linux/amd64", "linux/arm64/v8"));

  static ImagePolicy params(String yaml) {
    return policy("metadata: {name: p, generation: 1}\nspec:\n  parameters:\n" + yaml.indent(4));
  }

  static Stream<Case> cases() {
    ImagePolicy registries = params("allowedRegistries: [ghcr.io, 'LOCALHOST:5000', docker.io]");
    ImagePolicy outputs = params("allowedOutputRepositories: [registry.example.com/os]");
    ImagePolicy ownCmdline = params("forbiddenCmdline: [debug, 'init=/bin/bash']");
    ImagePolicy small = params("maxLayerBytes: 250");
    Overlap passwd = new Overlap("etc/passwd", "base", "app");
    return Stream.of(
        // LMN001 image pinned
        layerCase("digest", "LMN001", layer("a", "ghcr.io/x/a@" + DIGEST), null, 0),
        layerCase("tag and digest", "LMN001", layer("a", "ghcr.io/x/a:1@" + DIGEST), null, 0),
        layerCase("layout by digest", "LMN001", layer("a", "oci:/tmp/l@" + DIGEST), null, 0),
        layerCase("tag", "LMN001", layer("a", "ghcr.io/x/a:1.0"), null, 1),
        layerCase("no tag", "LMN001", layer("a", "busybox"), null, 1),
        // LMN002 registry allowed
        layerCase("any without list", "LMN002", layer("a", "quay.io/x/a:1"), null, 0),
        layerCase("listed", "LMN002", layer("a", "ghcr.io/x/a:1"), registries, 0),
        layerCase("host case ignored", "LMN002", layer("a", "localhost:5000/a:1"), registries, 0),
        layerCase("docker hub short", "LMN002", layer("a", "library/busybox:1"), registries, 0),
        layerCase("docker hub alias", "LMN002", layer("a", "index.docker.io/x/a:1"), registries, 0),
        layerCase("not listed", "LMN002", layer("a", "quay.io/x/a:1"), registries, 1),
        layerCase("other port", "LMN002", layer("a", "localhost:5001/a:1"), registries, 1),
        layerCase("layout", "LMN002", layer("a", "oci:/tmp/l:1"), registries, 1),
        // LMN003 platforms available, on the Layer
        layerCase("all resolved", "LMN003", resolved("a", 1, "linux/amd64", "linux/arm64"), null, 0),
        layerCase("one missing", "LMN003", resolved("a", 1, "linux/amd64"), null, 1),
        layerCase("not resolved", "LMN003", layer("a", "ghcr.io/x/a:1"), null, -1),
        // LMN003 on the OSImage: each architecture in each layer
        imageCase("every layer has both", "LMN003", image(""), BOTH_ARCHES, null, 0, null, 0),
        imageCase(
            "kernel lacks arm64",
            "LMN003",
            image(""),
            List.of(
                resolved("kernel", 1, "linux/amd64"),
                resolved("base", 1, "linux/amd64", "linux/arm64"),
                resolved("app", 1, "linux/amd64", "linux/arm64")),
            null, 0, null, 1),
        imageCase("layer missing", "LMN003", image(""), BOTH_ARCHES.subList(0, 2), null, 0, null, -1),
        // LMN004 forbidden kernel parameters
        imageCase("plain", "LMN004", image("kernel: {layer: kernel, cmdline: 'console=ttyS0 quiet ro'}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("init=/bin/sh", "LMN004", image("kernel: {layer: kernel, cmdline: 'quiet init=/bin/sh'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("quoted", "LMN004", image("kernel: {layer: kernel, cmdline: 'init=\"/bin/sh\"'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("rd.break with value", "LMN004", image("kernel: {layer: kernel, cmdline: 'rd.break=pre-mount'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("underscore spelling", "LMN004",
            image("kernel: {layer: kernel, cmdline: 'systemd.debug_shell=1 single'}"),
            BOTH_ARCHES, null, 0, null, 2),
        imageCase("prefix is not a match", "LMN004", image("kernel: {layer: kernel, cmdline: 'singleuser init=/bin/shx'}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("own list replaces defaults", "LMN004",
            image("kernel: {layer: kernel, cmdline: 'single debug init=/bin/bash'}"),
            BOTH_ARCHES, null, 0, ownCmdline, 2),
        // LMN005 world-writable
        imageCase("0644 file", "LMN005", imageWithFiles("- {path: etc/motd, contents: hi, mode: '0644'}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("0666 file", "LMN005", imageWithFiles("- {path: etc/motd, contents: hi, mode: '0666'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("sticky tmp", "LMN005", imageWithFiles("- {path: tmp, directory: true, mode: '1777'}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("0777 directory", "LMN005", imageWithFiles("- {path: srv, directory: true, mode: '0777'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("symlink", "LMN005", imageWithFiles("- {path: bin/sh, symlink: busybox}"),
            BOTH_ARCHES, null, 0, null, 0),
        // LMN006 setuid / setgid
        imageCase("0755 file", "LMN006", imageWithFiles("- {path: bin/x, contents: x, mode: '0755'}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("setuid file", "LMN006", imageWithFiles("- {path: bin/x, contents: x, mode: '4755'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("setgid file", "LMN006", imageWithFiles("- {path: bin/x, contents: x, mode: '2755'}"),
            BOTH_ARCHES, null, 0, null, 1),
        imageCase("setgid directory", "LMN006", imageWithFiles("- {path: srv, directory: true, mode: '2775'}"),
            BOTH_ARCHES, null, 0, null, 0),
        // LMN007 output repository
        imageCase("any without list", "LMN007", image("output: {repository: quay.io/x/os}"),
            BOTH_ARCHES, null, 0, null, 0),
        imageCase("under prefix", "LMN007", image("output: {repository: registry.example.com/os/edge}"),
            BOTH_ARCHES, null, 0, outputs, 0),
        imageCase("equal to prefix", "LMN007", image("output: {repository: registry.example.com/os}"),
            BOTH_ARCHES, null, 0, outputs, 0),
        imageCase("sibling name", "LMN007", image("output: {repository: registry.example.com/osx}"),
            BOTH_ARCHES, null, 0, outputs, 1),
        imageCase("other registry", "LMN007", image("output: {repository: quay.io/os}"),
            BOTH_ARCHES, null, 0, outputs, 1),
        // LMN008 layer size
        layerCase("under limit", "LMN008", resolved("a", 250, "linux/amd64", "linux/arm64"), small, 0),
        layerCase("over limit", "LMN008", resolved("a", 251, "linux/amd64", "linux/arm64"), small, 2),
        layerCase("over default 4 GiB", "LMN008", resolved("a", (4L << 30) + 1, "linux/amd64"), null, 1),
        imageCase("sum under limit", "LMN008", image(""), sized(80), null, 0, small, 0),
        imageCase("sum over limit per architecture", "LMN008", image(""), sized(90), null, 0, small, 2),
        imageCase("size unknown", "LMN008", image(""), BOTH_ARCHES.subList(0, 2), null, 0, small, -1),
        // LMN009 overlapping init layers
        imageCase("no overlap", "LMN009", image(""), BOTH_ARCHES, List.of(), 0, null, 0),
        imageCase("overlap", "LMN009", image(""), BOTH_ARCHES, List.of(passwd), 1, null, 1),
        imageCase("same overlap from two builds", "LMN009", image(""), BOTH_ARCHES,
            List.of(passwd, passwd), 1, null, 1),
        imageCase("not built yet", "LMN009", image(""), BOTH_ARCHES, null, 0, null, -1));
  }

  static List<Layer> sized(long each) {
    return List.of(
        resolved("kernel", each, "linux/amd64", "linux/arm64"),
        resolved("base", each, "linux/amd64", "linux/arm64"),
        resolved("app", each, "linux/amd64", "linux/arm64"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void ruleFindsWhatItShould(Case c) {
    Evaluation evaluation = c.run().apply(c.engine());
    List<PolicyResult> ofRule =
        evaluation.results().stream().filter(r -> r.getRule().equals(c.rule())).toList();
    if (c.failures() < 0) {
      assertThat(ofRule).isEmpty();
      assertThat(evaluation.notEvaluated()).anyMatch(n -> n.rule().equals(c.rule()));
      return;
    }
    assertThat(ofRule).as("results of %s: %s", c.rule(), ofRule).hasSize(c.failures());
    BuiltInRule rule = BuiltInRule.byId(c.rule()).orElseThrow();
    // No policy here changes an action, so a failure carries the rule's default.
    assertThat(ofRule).allMatch(r -> r.getAction() == rule.defaultAction());
    assertThat(ofRule).allMatch(r -> !r.getMessage().isBlank() && !r.getTarget().isBlank());
  }

  @Test
  void unlistedOverlapsStillCount() {
    Overlap a = new Overlap("etc/a", "base", "app");
    Overlap b = new Overlap("etc/b", "base", "app");
    Evaluation e =
        PolicyEngine.compile(List.of())
            .assessOSImage(image(""), byName(BOTH_ARCHES), NS, List.of(a, b), 25);
    assertThat(e.results()).hasSize(2);
    assertThat(e.status().getWarn()).isEqualTo(25);
    assertThat(e.status().getTotal()).isEqualTo(25);
  }

  @Test
  void everyRuleHasAStableIdAndRationale() {
    assertThat(Arrays.stream(BuiltInRule.values()).map(BuiltInRule::id))
        .containsExactly(
            "LMN001", "LMN002", "LMN003", "LMN004", "LMN005", "LMN006", "LMN007", "LMN008",
            "LMN009");
    assertThat(BuiltInRule.values()).allMatch(r -> !r.rationale().isBlank());
  }

  static Map<String, Layer> byName(List<Layer> layers) {
    Map<String, Layer> m = new java.util.TreeMap<>();
    layers.forEach(l -> m.put(l.getMetadata().getName(), l));
    return m;
  }
}

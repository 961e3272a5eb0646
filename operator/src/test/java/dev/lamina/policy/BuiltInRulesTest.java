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
import dev.lamina.api.Overlap;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
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
  static final String AMD64 = "linux/amd64";
  static final String ARM64 = "linux/arm64";

  static Case layerCase(String name, String rule, Layer layer, ImagePolicy policy, int failures) {
    return new Case(name, rule, e -> e.assess(Subject.layer(layer), NS), failures, policy);
  }

  static Case imageCase(
      String name, String rule, OSImage image, List<Layer> layers, ImagePolicy p, int failures) {
    Map<String, Layer> byName = byName(layers);
    return new Case(name, rule, e -> e.assess(Subject.osImage(image, byName), NS), failures, p);
  }

  /** An OSImage whose Layers all have both platforms. */
  static Case imageCase(String name, String rule, OSImage image, ImagePolicy p, int failures) {
    return imageCase(name, rule, image, BOTH_ARCHES, p, failures);
  }

  static Case cmdlineCase(String name, String cmdline, ImagePolicy p, int failures) {
    return imageCase(
        name, "LMN004", image("kernel: {layer: kernel, cmdline: '" + cmdline + "'}"), p, failures);
  }

  static Case fileCase(String name, String rule, String file, int failures) {
    return imageCase(name, rule, image("files:\n- " + file), null, failures);
  }

  static Case containerCase(String name, String rule, String containers, int failures) {
    return imageCase(name, rule, image(containers), null, failures);
  }

  static Case outputCase(String name, String repository, ImagePolicy p, int failures) {
    return imageCase(
        name, "LMN007", image("output: {repository: " + repository + "}"), p, failures);
  }

  /** overlaps null: no build has run. */
  static Case overlapCase(String name, List<Overlap> overlaps, int failures) {
    Map<String, Layer> byName = byName(BOTH_ARCHES);
    int count = overlaps == null ? 0 : new java.util.HashSet<>(overlaps).size();
    return new Case(
        name,
        "LMN009",
        e -> e.assess(Subject.osImage(image(""), byName, overlaps, count), NS),
        failures,
        null);
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
    List<Layer> kernelAmd64Only =
        List.of(
            resolved("kernel", 1, AMD64),
            resolved("base", 1, AMD64, ARM64),
            resolved("app", 1, AMD64, ARM64));
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
        // LMN003 platforms available, on the Layer and then each architecture in each layer
        layerCase("all resolved", "LMN003", resolved("a", 1, AMD64, ARM64), null, 0),
        layerCase("one missing", "LMN003", resolved("a", 1, AMD64), null, 1),
        layerCase("not resolved", "LMN003", layer("a", "ghcr.io/x/a:1"), null, -1),
        imageCase("every layer has both", "LMN003", image(""), null, 0),
        imageCase("kernel lacks arm64", "LMN003", image(""), kernelAmd64Only, null, 1),
        imageCase("layer missing", "LMN003", image(""), BOTH_ARCHES.subList(0, 2), null, -1),
        // LMN004 forbidden kernel parameters
        cmdlineCase("plain", "console=ttyS0 quiet ro", null, 0),
        cmdlineCase("init=/bin/sh", "quiet init=/bin/sh", null, 1),
        cmdlineCase("quoted", "init=\"/bin/sh\"", null, 1),
        cmdlineCase("rd.break with value", "rd.break=pre-mount", null, 1),
        cmdlineCase("underscore spelling", "systemd.debug_shell=1 single", null, 2),
        cmdlineCase("prefix is not a match", "singleuser init=/bin/shx", null, 0),
        cmdlineCase("own list replaces defaults", "single debug init=/bin/bash", ownCmdline, 2),
        // LMN005 world-writable
        // LMN015 CAP_SYS_ADMIN or all capabilities
        containerCase("no capabilities", "LMN015", "services: [{name: s, layer: app}]", 0),
        containerCase(
            "CAP_NET_ADMIN only",
            "LMN015",
            "services: [{name: s, layer: app, capabilities: [CAP_NET_ADMIN]}]",
            0),
        containerCase(
            "CAP_SYS_ADMIN",
            "LMN015",
            "onboot: [{name: s, layer: app, capabilities: [CAP_NET_ADMIN, CAP_SYS_ADMIN]}]",
            1),
        containerCase(
            "all, and CAP_SYS_ADMIN added",
            "LMN015",
            "services: [{name: a, layer: app, capabilities: [ALL]},"
                + " {name: b, layer: app, capabilities.add: [CAP_SYS_ADMIN]}]",
            2),
        containerCase(
            "ambient CAP_SYS_ADMIN",
            "LMN015",
            "onshutdown: [{name: s, layer: app, ambient: [CAP_SYS_ADMIN]}]",
            1),
        // LMN016 host namespaces
        containerCase("own namespaces", "LMN016", "services: [{name: s, layer: app, net: new}]", 0),
        containerCase(
            "net and pid of the host",
            "LMN016",
            "services: [{name: s, layer: app, net: host, pid: host, ipc: new}]",
            2),
        containerCase(
            "uts root and ipc host",
            "LMN016",
            "onboot: [{name: s, layer: app, uts: root, ipc: host}]",
            2),
        containerCase(
            "a path to join", "LMN016", "services: [{name: s, layer: app, net: /run/netns/x}]", 0),
        fileCase("0644 file", "LMN005", "{path: etc/motd, contents: hi, mode: '0644'}", 0),
        fileCase("0666 file", "LMN005", "{path: etc/motd, contents: hi, mode: '0666'}", 1),
        fileCase("sticky tmp", "LMN005", "{path: tmp, directory: true, mode: '1777'}", 0),
        fileCase("0777 directory", "LMN005", "{path: srv, directory: true, mode: '0777'}", 1),
        fileCase("symlink", "LMN005", "{path: bin/sh, symlink: busybox}", 0),
        // LMN006 setuid / setgid
        fileCase("0755 file", "LMN006", "{path: bin/x, contents: x, mode: '0755'}", 0),
        fileCase("setuid file", "LMN006", "{path: bin/x, contents: x, mode: '4755'}", 1),
        fileCase("setgid file", "LMN006", "{path: bin/x, contents: x, mode: '2755'}", 1),
        fileCase("setgid directory", "LMN006", "{path: srv, directory: true, mode: '2775'}", 0),
        // LMN007 output repository
        outputCase("any without list", "quay.io/x/os", null, 0),
        outputCase("under prefix", "registry.example.com/os/edge", outputs, 0),
        outputCase("equal to prefix", "registry.example.com/os", outputs, 0),
        outputCase("sibling name", "registry.example.com/osx", outputs, 1),
        outputCase("other registry", "quay.io/os", outputs, 1),
        // LMN008 layer size: each platform of a Layer, the sum per architecture of an OSImage
        layerCase("under limit", "LMN008", resolved("a", 250, AMD64, ARM64), small, 0),
        layerCase("over limit", "LMN008", resolved("a", 251, AMD64, ARM64), small, 2),
        layerCase("over default 4 GiB", "LMN008", resolved("a", (4L << 30) + 1, AMD64), null, 1),
        imageCase("sum under limit", "LMN008", image(""), sized(80), small, 0),
        imageCase("sum over limit per architecture", "LMN008", image(""), sized(90), small, 2),
        imageCase("size unknown", "LMN008", image(""), BOTH_ARCHES.subList(0, 2), small, -1),
        // LMN009 overlapping init layers
        overlapCase("no overlap", List.of(), 0),
        overlapCase("overlap", List.of(passwd), 1),
        overlapCase("same overlap from two builds", List.of(passwd, passwd), 1),
        overlapCase("not built yet", null, -1),
        // LMN010 the EFI stub's Layer pinned by digest
        imageCase(
            "stub by digest", "LMN010", efiImage("raw-efi", "stub"), withStub(pinnedStub), null, 0),
        imageCase("stub by tag", "LMN010", efiImage("uki", "stub"), withStub(taggedStub), null, 1),
        imageCase("stub missing", "LMN010", efiImage("iso-efi", "stub"), BOTH_ARCHES, null, -1),
        imageCase(
            "no EFI format",
            "LMN010",
            image("uki: {stub: {layer: stub}}"),
            withStub(taggedStub),
            null,
            0),
        // LMN011 an EFI format names its stub
        imageCase(
            "stub named", "LMN011", efiImage("qcow2-efi", "stub"), withStub(pinnedStub), null, 0),
        imageCase("no stub", "LMN011", efiImage("qcow2-efi", null), BOTH_ARCHES, null, 1),
        imageCase("not EFI", "LMN011", image("formats: [rootfs-tar]"), BOTH_ARCHES, null, 0));
  }

  static final Layer pinnedStub = resolved("stub", 1, AMD64, ARM64);
  static final Layer taggedStub = layer("stub", "ghcr.io/lamina/systemd-boot-efi:252");

  static OSImage efiImage(String format, String stub) {
    return image(
        "formats: [" + format + "]" + (stub == null ? "" : "\nuki: {stub: {layer: " + stub + "}}"));
  }

  static List<Layer> withStub(Layer stub) {
    List<Layer> all = new java.util.ArrayList<>(BOTH_ARCHES);
    all.add(stub);
    return all;
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
            .assess(Subject.osImage(image(""), byName(BOTH_ARCHES), List.of(a, b), 25), NS);
    assertThat(e.results()).hasSize(2);
    assertThat(e.status().getWarn()).isEqualTo(25);
    assertThat(e.status().getTotal()).isEqualTo(25);
  }

  @Test
  void everyRuleHasAStableIdAndRationale() {
    assertThat(Arrays.stream(BuiltInRule.values()).map(BuiltInRule::id))
        .containsExactly(
            "LMN001", "LMN002", "LMN003", "LMN004", "LMN005", "LMN006", "LMN007", "LMN008",
            "LMN009", "LMN010", "LMN011", "LMN012", "LMN013", "LMN014", "LMN015", "LMN016");
    assertThat(BuiltInRule.CONTAINER_SYS_ADMIN.defaultAction()).isEqualTo(PolicyAction.Warn);
    assertThat(BuiltInRule.CONTAINER_HOST_NAMESPACE.defaultAction()).isEqualTo(PolicyAction.Warn);
    assertThat(BuiltInRule.values()).allMatch(r -> !r.rationale().isBlank());
  }

  static Map<String, Layer> byName(List<Layer> layers) {
    Map<String, Layer> m = new java.util.TreeMap<>();
    layers.forEach(l -> m.put(l.getMetadata().getName(), l));
    return m;
  }
}

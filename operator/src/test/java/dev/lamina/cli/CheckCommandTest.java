package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lamina check` on real files: exit codes, table and JSON output, one-line errors. */
class CheckCommandTest {
  static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

  static final String PINNED_LAYERS =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: Layer
      metadata: {name: kernel, namespace: edge}
      spec: {image: 'ghcr.io/lamina/kernel@%1$s'}
      ---
      apiVersion: lamina.dev/v1alpha1
      kind: Layer
      metadata: {name: base, namespace: edge, labels: {team: os}}
      spec: {image: 'ghcr.io/lamina/base:1.0@%1$s'}
      """
          .formatted(DIGEST);

  static final String CLEAN_IMAGE =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: OSImage
      metadata: {name: edge, namespace: edge}
      spec:
        architectures: [amd64]
        kernel: {layer: kernel, cmdline: console=ttyS0}
        init: [base]
      """;

  static final String SHELL_IMAGE =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: OSImage
      metadata: {name: rescue, namespace: edge}
      spec:
        architectures: [amd64]
        kernel: {layer: kernel, cmdline: 'console=ttyS0 init=/bin/sh'}
        init: [base]
      """;

  @TempDir Path dir;

  CliRun check(String... args) {
    return CliRun.inProcess("check", args);
  }

  String write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
    return p.toString();
  }

  @Test
  void cleanObjectsExitZero() throws IOException {
    CliRun r = check("-f", write("ok.yaml", PINNED_LAYERS + "---\n" + CLEAN_IMAGE));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Pass     OSImage edge/edge")
        .contains("3 objects: 0 Deny, 0 Warn, 3 Pass");
  }

  @Test
  void warningsAloneExitZero() throws IOException {
    String unpinned =
        PINNED_LAYERS.replace("ghcr.io/lamina/base:1.0@" + DIGEST, "ghcr.io/lamina/base:1.0");
    CliRun r = check("-f", write("warn.yaml", unpinned + "---\n" + CLEAN_IMAGE));
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .containsPattern(
            "Layer edge/base +LMN001 +Warn +spec.image +image ghcr.io/lamina/base:1.0 is not"
                + " pinned");
  }

  @Test
  void denyExitsOneAndNamesTheRule() throws IOException {
    CliRun r =
        check("-f", write("objects.yaml", PINNED_LAYERS), "-f", write("images.yaml", SHELL_IMAGE));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .containsPattern("Deny +OSImage edge/rescue")
        .containsPattern(
            "OSImage edge/rescue +LMN004 +Deny +spec.kernel.cmdline +kernel command line has"
                + " forbidden parameter init=/bin/sh");
  }

  @Test
  void jsonOutputHasCountsResultsAndWhatWasNotEvaluated() throws IOException {
    CliRun r =
        check("-f", write("a.yaml", PINNED_LAYERS + "---\n" + SHELL_IMAGE), "--output", "json");
    assertThat(r.exit()).isEqualTo(1);
    JsonNode report = new ObjectMapper().readTree(r.out());
    assertThat(report.get("verdict").asText()).isEqualTo("Deny");
    assertThat(report.get("objects")).hasSize(3);
    JsonNode image = report.get("objects").get(2);
    assertThat(image.get("kind").asText()).isEqualTo("OSImage");
    assertThat(image.get("name").asText()).isEqualTo("rescue");
    assertThat(image.get("verdict").asText()).isEqualTo("Deny");
    assertThat(image.get("deny").asInt()).isEqualTo(1);
    assertThat(image.get("total").asInt()).isEqualTo(1);
    JsonNode result = image.get("results").get(0);
    assertThat(result.get("rule").asText()).isEqualTo("LMN004");
    assertThat(result.get("action").asText()).isEqualTo("Deny");
    assertThat(result.get("target").asText()).isEqualTo("spec.kernel.cmdline");
    // Offline, Layers have no resolved platforms: those rules are listed, not passed.
    List<String> skipped = new ArrayList<>();
    image
        .get("notEvaluated")
        .forEach(n -> skipped.add(n.get("rule").asText() + " " + n.get("target").asText()));
    assertThat(skipped)
        .containsExactly("LMN003 Layer base", "LMN003 Layer kernel", "LMN008 architecture amd64");
  }

  @Test
  void sameInputsGiveTheSameBytes() throws IOException {
    String f = write("a.yaml", PINNED_LAYERS + "---\n" + SHELL_IMAGE);
    assertThat(check("-f", f, "--output", "json").out())
        .isEqualTo(check("-f", f, "--output", "json").out());
    assertThat(check("-f", f).out()).isEqualTo(check("-f", f).out());
  }

  @Test
  void policiesInTheFilesApplyWithNamespaceLabels() throws IOException {
    String policy =
        """
        apiVersion: lamina.dev/v1alpha1
        kind: ImagePolicy
        metadata: {name: prod}
        spec:
          namespaceSelector: {matchLabels: {env: prod}}
          customRules:
          - name: no-team-os
            kinds: [Layer]
            expression: "!has(object.metadata.labels) || object.metadata.labels['team'] != 'os'"
            messageExpression: "'Layer ' + object.metadata.name + ' belongs to team os'"
        """;
    String objects = write("o.yaml", PINNED_LAYERS);
    String policies = write("p.yaml", policy);
    assertThat(check("-f", objects, "-f", policies).exit()).isZero();
    CliRun prod = check("-f", objects, "-f", policies, "--namespace-label", "env=prod");
    assertThat(prod.exit()).isEqualTo(1);
    assertThat(prod.out())
        .containsPattern("prod/no-team-os +Deny +Layer/base +Layer base belongs to team os");
  }

  @Test
  void directoryIsReadWithOtherKindsSkipped() throws IOException {
    write("manifests/10-layers.yaml", PINNED_LAYERS);
    write("manifests/sub/20-image.yml", SHELL_IMAGE);
    write("manifests/30-cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    write("manifests/README.md", "not yaml: [");
    CliRun r = check("-f", dir.resolve("manifests").toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    assertThat(r.out()).contains("3 objects: 1 Deny");
  }

  @Test
  void missingFileExitsTwo() {
    CliRun r = check("-f", dir.resolve("absent.yaml").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo("lamina check: cannot read " + dir.resolve("absent.yaml") + ": no such file");
  }

  @Test
  void invalidYamlExitsTwoWithItsLine() throws IOException {
    String f = write("bad.yaml", PINNED_LAYERS + "---\nkind: Layer\nspec: {image: [x\n");
    CliRun r = check("-f", f);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("lamina check: " + f + ": invalid YAML at line 13")
        .hasLineCount(1);
  }

  @Test
  void unknownFieldExitsTwo() throws IOException {
    String f =
        write(
            "typo.yaml",
            "apiVersion: lamina.dev/v1alpha1\n"
                + "kind: Layer\n"
                + "metadata: {name: a}\n"
                + "spec: {imgae: 'x.io/a:1'}\n");
    CliRun r = check("-f", f);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo("lamina check: " + f + ": document 1 (Layer a): spec.imgae: unknown field");
  }

  @Test
  void brokenCelExitsTwoWithTheCompilerMessage() throws IOException {
    String policy =
        """
        apiVersion: lamina.dev/v1alpha1
        kind: ImagePolicy
        metadata: {name: broken}
        spec:
          customRules:
          - {name: r, expression: "object.spec.image.startsWith("}
        """;
    String p = write("p.yaml", policy);
    CliRun r = check("-f", write("o.yaml", PINNED_LAYERS), "-f", p);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .startsWith("lamina check: " + p + ": ImagePolicy broken: customRules r: expression: 1:")
        .hasLineCount(1);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void nothingToCheckExitsTwo() throws IOException {
    CliRun r =
        check("-f", write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no Layer or OSImage found");
  }
}

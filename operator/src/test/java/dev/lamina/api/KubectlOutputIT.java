package dev.lamina.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import dev.lamina.testing.TestObjects;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a kubectl user sees of the CRDs on a real apiserver: install, columns and explain. */
@ExtendWith(ControlPlaneExtension.class)
class KubectlOutputIT {

  @Test
  void readmeInstallCommandForTheCrdsSucceeds(ControlPlane cluster) throws Exception {
    String readme = Files.readString(cluster.repoRoot().resolve("README.md"));
    Matcher m = Pattern.compile("kubectl apply (-[kf]) crds/?").matcher(readme);
    assertThat(m.find()).as("README shows how to install the CRDs").isTrue();
    KubectlResult result =
        cluster.kubectl("apply", m.group(1), "crds", "--dry-run=server", "-o", "name");
    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.stdout().lines())
        .containsExactlyInAnyOrder(
            "customresourcedefinition.apiextensions.k8s.io/imagepolicies.lamina.dev",
            "customresourcedefinition.apiextensions.k8s.io/layers.lamina.dev",
            "customresourcedefinition.apiextensions.k8s.io/osimages.lamina.dev");
  }

  @Test
  void osImageColumnsAreReadableAndWideAddsReasonAndMessage(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("columns");
    OSImage image =
        client
            .resource(
                TestObjects.osImage(
                    ns,
                    "edge",
                    List.of(Architecture.amd64, Architecture.arm64),
                    "127.0.0.1:5000/out",
                    "quiet"))
            .create();
    OSImageStatus status = new OSImageStatus();
    status.setPhase(Phase.Pending);
    // As the operator writes it on every reconcile.
    status.setArchitectureList(OSImageStatus.architectureList(image.getSpec()));
    status.setConditions(
        List.of(
            condition("LayersNotReady", "Waiting for Layer(s) base to be Ready."),
            new ConditionBuilder()
                .withType("PolicyPassed")
                .withStatus("True")
                .withReason("NoDenials")
                .withMessage("fine")
                .withLastTransitionTime("2026-01-01T00:00:00Z")
                .build()));
    image.setStatus(status);
    client.resource(image).updateStatus();

    KubectlResult plain = cluster.kubectl("get", "osimage", "edge", "-n", ns);
    assertThat(plain.exitCode()).as(plain.toString()).isZero();
    assertThat(header(plain))
        .containsExactly("NAME", "PHASE", "ARCHITECTURES", "DIGEST", "POLICY", "AGE");
    assertThat(plain.stdout()).contains("amd64,arm64").doesNotContain("[").doesNotContain("\"");

    KubectlResult wide = cluster.kubectl("get", "osimage", "edge", "-n", ns, "-o", "wide");
    assertThat(wide.exitCode()).as(wide.toString()).isZero();
    assertThat(header(wide))
        .containsExactly(
            "NAME", "PHASE", "ARCHITECTURES", "DIGEST", "POLICY", "REASON", "MESSAGE", "AGE");
    assertThat(wide.stdout())
        .contains("LayersNotReady")
        .contains("Waiting for Layer(s) base to be Ready.")
        .doesNotContain("NoDenials");
  }

  @Test
  void layersShowTheirPolicyVerdict(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("columns");
    Layer layer = new Layer();
    layer.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("base")
            .withNamespace(ns)
            .build());
    layer.setSpec(new LayerSpec("127.0.0.1:5000/base:v1"));
    layer = client.resource(layer).create();
    LayerStatus status = new LayerStatus();
    PolicyStatus policy = new PolicyStatus();
    policy.setVerdict(PolicyVerdict.Warn);
    status.setPolicy(policy);
    status.setConditions(List.of(condition("Refused", "Not resolved: LMN001 pin it.")));
    layer.setStatus(status);
    client.resource(layer).updateStatus();

    KubectlResult wide = cluster.kubectl("get", "layer", "base", "-n", ns, "-o", "wide");
    assertThat(wide.exitCode()).as(wide.toString()).isZero();
    assertThat(header(wide))
        .containsExactly("NAME", "READY", "DIGEST", "POLICY", "REASON", "MESSAGE", "AGE");
    assertThat(wide.stdout()).contains("Warn").contains("Refused");
  }

  @Test
  void explainShowsTheFieldDescriptions(ControlPlane cluster) {
    // The apiserver publishes a new CRD's OpenAPI a moment after it is established.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              KubectlResult spec = cluster.kubectl("explain", "osimage.spec");
              assertThat(spec.exitCode()).as(spec.toString()).isZero();
              assertThat(spec.stdout())
                  .contains("Architectures to build, one build pod each.")
                  .doesNotContain("<no description>");
            });
    KubectlResult deep = cluster.kubectl("explain", "osimage.spec.build.limits.maxEntries");
    assertThat(deep.exitCode()).as(deep.toString()).isZero();
    assertThat(deep.stdout()).doesNotContain("<no description>").doesNotContain("<empty>");
  }

  private static Condition condition(String reason, String message) {
    return new ConditionBuilder()
        .withType("Ready")
        .withStatus("False")
        .withReason(reason)
        .withMessage(message)
        .withLastTransitionTime("2026-01-01T00:00:00Z")
        .build();
  }

  private static List<String> header(KubectlResult result) {
    return List.of(result.stdout().lines().findFirst().orElse("").trim().split("\\s+"));
  }
}

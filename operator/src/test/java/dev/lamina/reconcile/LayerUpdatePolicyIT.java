package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.UpdatePolicy;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciRepository;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** spec.updatePolicy, and what a Layer refused by policy still says about its platforms. */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LayerUpdatePolicyIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, false);
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) {
      env.close();
    }
  }

  @Test
  void pinnedLayerKeepsItsFirstResolutionUntilItsSpecChanges() throws Exception {
    String ns = cluster.newNamespace("pin");
    OciRepository repo = env.repository(ns + "/base");
    Descriptor first = pushLayerImage(repo, "v1", Map.of("amd64", baseFiles("amd64", "1")));
    Layer l = layer(ns, "base", env.image(ns + "/base") + ":v1");
    l.getSpec().setPlatforms(List.of("linux/amd64"));
    l.getSpec().setUpdatePolicy(UpdatePolicy.Pin);
    client.resource(l).create();
    await().atMost(WAIT).until(() -> first.digest().equals(digestOf(ns)));

    Descriptor second = pushLayerImage(repo, "v1", Map.of("amd64", baseFiles("amd64", "2")));
    // Several resolve intervals (2 s in tests): a Follow Layer would have moved by now.
    await()
        .during(Duration.ofSeconds(8))
        .atMost(Duration.ofSeconds(20))
        .until(() -> first.digest().equals(digestOf(ns)));

    client
        .resources(Layer.class)
        .inNamespace(ns)
        .withName("base")
        .edit(
            x -> {
              x.getSpec().setUpdatePolicy(UpdatePolicy.Follow);
              return x;
            });
    await().atMost(WAIT).until(() -> second.digest().equals(digestOf(ns)));
  }

  @Test
  void layerRefusedByPolicyStillListsThePlatformsItAsksFor() throws Exception {
    String ns = cluster.newNamespace("refused");
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("pin-" + ns).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    spec.setRules(Map.of("LMN001", PolicyAction.Deny));
    policy.setSpec(spec);
    client.resource(policy).create();
    try {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                ImagePolicy p = client.resources(ImagePolicy.class).withName("pin-" + ns).get();
                return p.getStatus() != null
                    && Conditions.isTrue(p.getStatus().getConditions(), Conditions.READY);
              });
      client.resource(layer(ns, "base", env.image(ns + "/base") + ":v1")).create();
      Layer refused =
          await()
              .atMost(WAIT)
              .until(
                  () -> client.resources(Layer.class).inNamespace(ns).withName("base").get(),
                  x ->
                      x.getStatus() != null
                          && Conditions.find(x.getStatus().getConditions(), Conditions.READY)
                              .map(c -> "PolicyDenied".equals(c.getReason()))
                              .orElse(false));
      assertThat(refused.getStatus().getPlatforms())
          .extracting(PlatformDigest::getPlatform, PlatformDigest::getDigest)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("linux/amd64", null),
              org.assertj.core.groups.Tuple.tuple("linux/arm64", null));
      assertThat(Conditions.isTrue(refused.getStatus().getConditions(), Conditions.STALLED))
          .isTrue();
    } finally {
      client.resource(policy).delete();
    }
  }

  private String digestOf(String ns) {
    Layer l = client.resources(Layer.class).inNamespace(ns).withName("base").get();
    return l == null || l.getStatus() == null ? null : l.getStatus().getDigest();
  }
}

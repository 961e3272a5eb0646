package dev.lamina.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.OutputFormat;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** deploy/admission on a real apiserver: unpinned Layers are rejected where the label asks. */
@ExtendWith(ControlPlaneExtension.class)
class AdmissionPolicyIT {
  static final String PINNED = "ghcr.io/lamina/base:1.0@sha256:" + "0123456789abcdef".repeat(4);
  static final String UNPINNED = "ghcr.io/lamina/base:1.0";
  static final String LABEL = "lamina.dev/enforce-pinned";

  static String enforced;
  static String open;

  @BeforeAll
  static void install(ControlPlane cluster) {
    KubectlResult applied = cluster.kubectl("apply", "-k", "deploy/admission");
    assertThat(applied.succeeded()).as(applied.toString()).isTrue();
    enforced = cluster.newNamespace("pinned");
    label(cluster.client(), enforced);
    open = cluster.newNamespace("open");
    awaitEnforced(cluster.client(), enforced);
  }

  @AfterAll
  static void uninstall(ControlPlane cluster) {
    // The control plane outlives this class; other tests must not meet the policy.
    KubectlResult deleted = cluster.kubectl("delete", "-k", "deploy/admission");
    assertThat(deleted.succeeded()).as(deleted.toString()).isTrue();
  }

  @Test
  void unpinnedLayerIsRejectedInAnEnforcedNamespace(KubernetesClient client) {
    assertThatThrownBy(() -> create(client, enforced, layer("unpinned", UNPINNED)))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage())
                  .contains("ValidatingAdmissionPolicy 'lamina-pinned-layers'")
                  .contains(
                      "spec.image "
                          + UNPINNED
                          + " is not pinned by digest: namespace "
                          + enforced
                          + " is labelled lamina.dev/enforce-pinned=true");
            });
    assertThat(client.resources(Layer.class).inNamespace(enforced).withName("unpinned").get())
        .isNull();
  }

  @Test
  void kubectlApplyShowsTheReason(ControlPlane cluster) throws Exception {
    Path file = Files.createTempFile("layer", ".yaml");
    try {
      Files.writeString(
          file,
          "apiVersion: lamina.dev/v1alpha1\nkind: Layer\nmetadata: {name: by-kubectl}\n"
              + "spec: {image: 'docker.io/library/busybox:latest'}\n");
      KubectlResult r = cluster.kubectl("apply", "-n", enforced, "-f", file.toString());
      assertThat(r.exitCode()).as(r.toString()).isNotZero();
      assertThat(r.stderr())
          .contains("denied request")
          .contains("spec.image docker.io/library/busybox:latest is not pinned by digest");
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void pinnedLayerIsAdmittedInAnEnforcedNamespace(KubernetesClient client) {
    Layer created = create(client, enforced, layer("pinned", PINNED));
    assertThat(created.getSpec().getImage()).isEqualTo(PINNED);
  }

  @Test
  void unpinnedLayerIsAdmittedElsewhere(KubernetesClient client) {
    Layer created = create(client, open, layer("unpinned", UNPINNED));
    assertThat(created.getMetadata().getUid()).isNotBlank();
  }

  @Test
  void changingAPinnedImageToATagIsRejected(KubernetesClient client) {
    create(client, enforced, layer("moving", PINNED));
    assertThatThrownBy(
            () ->
                client
                    .resources(Layer.class)
                    .inNamespace(enforced)
                    .withName("moving")
                    .edit(
                        l -> {
                          l.getSpec().setImage(UNPINNED);
                          return l;
                        }))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("is not pinned by digest");
    assertThat(
            client
                .resources(Layer.class)
                .inNamespace(enforced)
                .withName("moving")
                .get()
                .getSpec()
                .getImage())
        .isEqualTo(PINNED);
  }

  @Test
  void layerFromBeforeTheLabelKeepsMetadataUpdatesButNotImageChanges(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("legacy");
    create(client, ns, layer("legacy", UNPINNED));
    label(client, ns);
    awaitEnforced(client, ns);

    Layer relabelled =
        client
            .resources(Layer.class)
            .inNamespace(ns)
            .withName("legacy")
            .edit(
                l -> {
                  l.getMetadata().getLabels().put("team", "os");
                  return l;
                });
    assertThat(relabelled.getMetadata().getLabels()).containsEntry("team", "os");
    assertThatThrownBy(
            () ->
                client
                    .resources(Layer.class)
                    .inNamespace(ns)
                    .withName("legacy")
                    .edit(
                        l -> {
                          l.getSpec().setImage("ghcr.io/lamina/base:2.0");
                          return l;
                        }))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec.image ghcr.io/lamina/base:2.0 is not pinned by digest");
  }

  @Test
  void osImagesAreNotMatched(KubernetesClient client) {
    OSImage image = new OSImage();
    image.setMetadata(new ObjectMetaBuilder().withName("edge").build());
    OSImageSpec spec = new OSImageSpec();
    spec.setArchitectures(List.of(Architecture.amd64));
    spec.setFormats(List.of(OutputFormat.ROOTFS_TAR));
    spec.setInit(List.of("unpinned-elsewhere"));
    image.setSpec(spec);
    OSImage created =
        client.resources(OSImage.class).inNamespace(enforced).resource(image).create();
    assertThat(created.getMetadata().getUid()).isNotBlank();
  }

  @Test
  void policyTypeChecksWithoutWarnings(KubernetesClient client) {
    await("type checking of lamina-pinned-layers")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              var vap =
                  client
                      .resources(ValidatingAdmissionPolicy.class)
                      .withName("lamina-pinned-layers")
                      .get();
              return vap.getStatus() != null && vap.getStatus().getTypeChecking() != null;
            });
    var status =
        client
            .resources(ValidatingAdmissionPolicy.class)
            .withName("lamina-pinned-layers")
            .get()
            .getStatus();
    assertThat(status.getTypeChecking().getExpressionWarnings()).isEmpty();
  }

  static Layer layer(String name, String image) {
    Layer l = new Layer();
    l.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels("app", "test").build());
    l.setSpec(new LayerSpec(image));
    return l;
  }

  static Layer create(KubernetesClient client, String ns, Layer layer) {
    return client.resources(Layer.class).inNamespace(ns).resource(layer).create();
  }

  static void label(KubernetesClient client, String ns) {
    client
        .namespaces()
        .withName(ns)
        .edit(
            n -> {
              n.getMetadata().getLabels().put(LABEL, "true");
              return n;
            });
  }

  /** The apiserver applies a new policy, binding or namespace label once its informers see it. */
  static void awaitEnforced(KubernetesClient client, String ns) {
    await("lamina-pinned-layers enforced in " + ns)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              try {
                client
                    .resources(Layer.class)
                    .inNamespace(ns)
                    .resource(layer("probe", UNPINNED))
                    .dryRun()
                    .create();
                return false;
              } catch (KubernetesClientException e) {
                return e.getCode() == 422 && e.getMessage().contains("lamina-pinned-layers");
              }
            });
  }
}

package dev.lamina.reconcile;

import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The status merge patch against a real apiserver: what it removes, and a stale read. */
@ExtendWith(ControlPlaneExtension.class)
class StatusPatchIT {
  @Test
  void serverHoldsExactlyTheStatusWrittenEvenFromAStaleRead(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("statuspatch");
    OSImage created =
        client.resource(osImage(ns, "edge", List.of(Architecture.amd64), "reg/out", "v1")).create();

    OSImageStatus building = new OSImageStatus();
    building.setPhase(Phase.Building);
    building.setInputDigest("sha256:aa");
    building.setMessage("Building.");
    building.setLayerDigests(Map.of("base", "sha256:01", "kernel", "sha256:02"));
    PolicyStatus policy = new PolicyStatus();
    policy.setVerdict(PolicyVerdict.Warn);
    policy.setWarn(1);
    building.setPolicy(policy);
    building.setConditions(Conditions.set(null, Conditions.READY, false, "Building", "b", 1L));
    OSImage first = write(client, created, building).updated();
    assertThat(status(client, ns)).isEqualTo(json(client, building));

    OSImageStatus ready = new OSImageStatus();
    ready.setPhase(Phase.Ready);
    ready.setDigest("sha256:bb");
    ready.setLayerDigests(Map.of("base", "sha256:01"));
    ready.setConditions(Conditions.set(null, Conditions.READY, true, "Built", "r", 1L));
    StatusPatch.Written<OSImage> second = write(client, first, ready);
    assertThat(second.base().getMetadata().getResourceVersion())
        .isEqualTo(first.getMetadata().getResourceVersion());
    // inputDigest, message, policy and one layer digest are gone, not left behind.
    assertThat(status(client, ns)).isEqualTo(json(client, ready));

    // A write computed from the first read (no status, an old resourceVersion): the server
    // refuses it, the patch is taken again from what the server holds, and the result is still
    // exactly the status asked for.
    OSImageStatus failed = new OSImageStatus();
    failed.setPhase(Phase.Failed);
    failed.setMessage("Failed.");
    StatusPatch.Written<OSImage> third = write(client, created, failed);
    assertThat(third.base().getMetadata().getResourceVersion())
        .isEqualTo(second.updated().getMetadata().getResourceVersion());
    assertThat(status(client, ns)).isEqualTo(json(client, failed));
  }

  /** The write as the reconciler makes it, from what {@code resource} holds to {@code status}. */
  static StatusPatch.Written<OSImage> write(
      KubernetesClient client, OSImage resource, OSImageStatus status) {
    return StatusPatch.write(
        client, resource, json(client, resource.getStatus()), json(client, status));
  }

  static JsonNode status(KubernetesClient client, String ns) {
    return json(
        client, client.resources(OSImage.class).inNamespace(ns).withName("edge").get().getStatus());
  }

  /** Compared as trees: the server orders map keys its own way. */
  static JsonNode json(KubernetesClient client, OSImageStatus status) {
    return StatusPatch.tree(client.getKubernetesSerialization(), status);
  }
}

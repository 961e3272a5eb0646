package dev.lamina.reconcile;

import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.oci.Descriptor;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** status.digest keeps the last good index while a new input builds. */
@ExtendWith(ControlPlaneExtension.class)
class LastGoodDigestIT {
  static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void digestStaysTheLastIndexBuiltWhileANewInputBuilds(ControlPlane cluster) throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("lastgood");
    // No nodes: the new input's pods wait, so the image stays mid-build.
    try (OperatorHarness env = OperatorHarness.start(client, false)) {
      env.layers(ns, "1");
      OSImage o = osImage(ns, "edge", List.of(Architecture.amd64), env.image(ns + "/out"), "v1");
      Descriptor built = env.seedCache(ns, o);
      client.resource(o).create();
      OSImage ready =
          await()
              .atMost(WAIT)
              .until(
                  () -> get(client, ns),
                  x -> x.getStatus() != null && x.getStatus().getPhase() == Phase.Ready);
      String firstInput = ready.getStatus().getInputDigest();
      assertThat(ready.getStatus().getDigest()).isEqualTo(built.digest());
      assertThat(ready.getStatus().getReadyInputDigest()).isEqualTo(firstInput);

      client
          .resources(OSImage.class)
          .inNamespace(ns)
          .withName("edge")
          .edit(
              x -> {
                x.getSpec().getKernel().setCmdline("v2");
                return x;
              });
      OSImage building =
          await()
              .atMost(WAIT)
              .until(
                  () -> get(client, ns),
                  x ->
                      x.getStatus().getPhase() != Phase.Ready
                          && !firstInput.equals(x.getStatus().getInputDigest()));
      assertThat(building.getStatus().getDigest()).isEqualTo(built.digest());
      assertThat(building.getStatus().getReadyInputDigest()).isEqualTo(firstInput);
      assertThat(building.getStatus().getRepository()).isEqualTo(env.image(ns + "/out"));
      // The status is replaced, not merged: the first build's per-architecture results, which
      // the new input's status leaves out, are gone rather than left beside the new state.
      assertThat(ready.getStatus().getArchitectures())
          .allSatisfy(a -> assertThat(a.getManifestDigest()).isNotNull());
      assertThat(building.getStatus().getArchitectures())
          .isNotEmpty()
          .allSatisfy(
              a -> {
                assertThat(a.getManifestDigest()).isNull();
                assertThat(a.getArtifacts()).isNullOrEmpty();
              });
    }
  }

  private static OSImage get(KubernetesClient client, String ns) {
    return client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
  }
}

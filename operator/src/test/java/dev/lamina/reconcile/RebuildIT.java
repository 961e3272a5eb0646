package dev.lamina.reconcile;

import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A Failed build is no longer final: a new lamina.dev/rebuild value retries it. */
@ExtendWith(ControlPlaneExtension.class)
class RebuildIT {
  static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void rebuildAnnotationRetriesAFailedImageWithItsRetriesAgain(ControlPlane cluster)
      throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("rebuild");
    try (OperatorHarness env = OperatorHarness.start(client, true);
        OperatorTestSupport.PodWatch pods = new OperatorTestSupport.PodWatch(client, ns)) {
      env.layers(ns, "rebuild");
      OSImage o = osImage(ns, "edge", List.of(Architecture.amd64), env.image(ns + "/out"), "q");
      // Fails the same way every time: the kernel layer has no such file.
      o.getSpec().getKernel().setBinary("no-such-kernel");
      BuildSpec once = new BuildSpec();
      once.setRetries(0);
      o.getSpec().setBuild(once);
      client.resource(o).create();
      await().atMost(WAIT).until(() -> phase(client, ns) == Phase.Failed);
      assertThat(arch(client, ns).getAttempts()).isEqualTo(1);

      // Failed stays Failed while nothing asks.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> phase(client, ns) == Phase.Failed);
      assertThat(pods.created).hasSize(1);

      client
          .resources(OSImage.class)
          .inNamespace(ns)
          .withName("edge")
          .edit(
              x -> {
                x.getMetadata().setAnnotations(Map.of(Lamina.REBUILD_ANNOTATION, "1"));
                return x;
              });
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                OSImage now =
                    client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
                assertThat(now.getStatus().getRebuild()).isEqualTo("1");
                assertThat(now.getStatus().getPhase()).isEqualTo(Phase.Failed);
                ArchitectureStatus a = now.getStatus().getArchitectures().get(0);
                assertThat(a.getAttempts()).isEqualTo(2);
                assertThat(a.getFirstAttempt()).isEqualTo(2);
              });
      assertThat(pods.created).hasSize(2);
      assertThat(client.v1().events().inNamespace(ns).list().getItems())
          .extracting(e -> e.getReason())
          .contains("RebuildRequested");
    }
  }

  private static Phase phase(KubernetesClient client, String ns) {
    OSImage o = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }

  private static ArchitectureStatus arch(KubernetesClient client, String ns) {
    return client
        .resources(OSImage.class)
        .inNamespace(ns)
        .withName("edge")
        .get()
        .getStatus()
        .getArchitectures()
        .get(0);
  }
}

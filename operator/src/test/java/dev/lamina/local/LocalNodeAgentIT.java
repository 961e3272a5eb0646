package dev.lamina.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The node agent on the real control plane: Nodes the scheduler uses, pods run as processes. */
@ExtendWith(ControlPlaneExtension.class)
class LocalNodeAgentIT {
  static Pod pod(String ns, String name, String arch, String... args) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withNodeSelector(Map.of("kubernetes.io/arch", arch))
        .addNewContainer()
        .withName("main")
        .withImage("lamina:test")
        .withArgs(args)
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void podsRunOnTheNodeOfTheirArchitectureAndReportTheirExitCode(ControlPlane cluster)
      throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("agent");
    try (LocalNodeAgent agent =
        new LocalNodeAgent(
            client,
            List.of("amd64", "arm64"),
            Path.of(System.getProperty("lamina.jar")),
            Files.createTempDirectory("lamina-node"))) {
      agent.start();
      Node node = client.nodes().withName("local-arm64").get();
      assertThat(node.getMetadata().getLabels())
          .containsEntry("kubernetes.io/arch", "arm64")
          .containsEntry("kubernetes.io/os", "linux")
          .containsEntry("kubernetes.io/hostname", "local-arm64");
      assertThat(node.getStatus().getAllocatable()).containsKeys("cpu", "memory", "pods");
      assertThat(client.leases().inNamespace("kube-node-lease").withName("local-arm64").get())
          .isNotNull();

      client.resource(pod(ns, "ok", "arm64", "--version")).create();
      client.resource(pod(ns, "bad", "amd64", "no-such-command")).create();

      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                Pod ok = client.pods().inNamespace(ns).withName("ok").get();
                assertThat(ok.getSpec().getNodeName()).isEqualTo("local-arm64");
                assertThat(ok.getStatus().getPhase()).isEqualTo("Succeeded");
                assertThat(
                        ok.getStatus()
                            .getContainerStatuses()
                            .get(0)
                            .getState()
                            .getTerminated()
                            .getExitCode())
                    .isZero();
                Pod bad = client.pods().inNamespace(ns).withName("bad").get();
                assertThat(bad.getSpec().getNodeName()).isEqualTo("local-amd64");
                assertThat(bad.getStatus().getPhase()).isEqualTo("Failed");
                assertThat(
                        bad.getStatus()
                            .getContainerStatuses()
                            .get(0)
                            .getState()
                            .getTerminated()
                            .getExitCode())
                    .isNotZero();
              });
      Node ready = client.nodes().withName("local-amd64").get();
      assertThat(ready.getStatus().getConditions())
          .anySatisfy(
              c -> {
                assertThat(c.getType()).isEqualTo("Ready");
                assertThat(c.getStatus()).isEqualTo("True");
              });
    }
    assertThat(client.nodes().withName("local-amd64").get()).isNull();
  }
}

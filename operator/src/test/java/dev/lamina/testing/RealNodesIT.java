package dev.lamina.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The real nodes of hack/cluster-up.sh run restricted pods: on each node a busybox pod from the
 * cluster registry reports its machine in its termination message, and reaches the apiserver
 * through the {@code kubernetes} Service. Skipped, with the reason, when the cluster isn't up,
 * unless {@code LAMINA_REAL_NODES=required}.
 */
class RealNodesIT {
  private static final String IMAGE = RealCluster.REGISTRY + "/lamina/busybox:1";
  private static ControlPlane cluster;
  private static String namespace;

  @BeforeAll
  static void connect() throws Exception {
    Optional<String> reason = RealCluster.unavailableReason();
    if (reason.isPresent()) {
      if (RealCluster.REQUIRED) {
        throw new IllegalStateException("LAMINA_REAL_NODES=required, but " + reason.get());
      }
      System.out.println("RealNodesIT skipped: " + reason.get());
      Assumptions.abort(reason.get());
    }
    cluster =
        RealCluster.connect(
            System.getProperty("lamina.kubeVersion"),
            Path.of(System.getProperty("lamina.repoRoot")));
    namespace =
        "real-nodes-"
            + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36)
                .toLowerCase(Locale.ROOT);
    cluster
        .client()
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .addToLabels("lamina.dev/test-namespace", "true")
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .endMetadata()
                .build())
        .create();
    await("ServiceAccount default in " + namespace)
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                cluster.client().serviceAccounts().inNamespace(namespace).withName("default").get()
                    != null);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (cluster != null) {
      cluster.client().namespaces().withName(namespace).delete();
      cluster.close();
    }
  }

  @ParameterizedTest
  @CsvSource({"lamina-amd64, amd64, x86_64", "lamina-arm64, arm64, aarch64"})
  void restrictedPodRunsTheNodesArchitectureAndReportsIt(
      String nodeName, String arch, String machine) {
    KubernetesClient client = cluster.client();
    Node node = client.nodes().withName(nodeName).get();
    assertThat(node.getMetadata().getLabels()).containsEntry("kubernetes.io/arch", arch);
    // What the kubelet reports of itself, not a label anyone could set.
    assertThat(node.getStatus().getNodeInfo().getArchitecture()).isEqualTo(arch);

    String pod = "arch-" + arch;
    long start = System.nanoTime();
    client
        .pods()
        .inNamespace(namespace)
        .resource(
            restrictedPod(
                pod,
                arch,
                "uname -m > /dev/termination-log; uname -m;"
                    + " printf 'GET / HTTP/1.0\\r\\n\\r\\n'"
                    + " | nc -w 10 $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT"))
        .create();

    Pod done = awaitTerminated(client, pod);
    System.out.printf(
        "RealNodesIT: pod on %s terminated %d ms after create%n",
        nodeName, (System.nanoTime() - start) / 1_000_000);
    ContainerStateTerminated terminated =
        done.getStatus().getContainerStatuses().get(0).getState().getTerminated();
    assertThat(done.getSpec().getNodeName()).isEqualTo(nodeName);
    assertThat(terminated.getExitCode()).as(describe(pod)).isZero();
    assertThat(terminated.getMessage()).isEqualTo(machine + "\n");
    String log = client.pods().inNamespace(namespace).withName(pod).getLog();
    assertThat(log).startsWith(machine + "\n");
    // Go's TLS server answers plain HTTP with this line: the Service address led to the apiserver.
    assertThat(log).contains("Client sent an HTTP request to an HTTPS server");
  }

  @Test
  void podThatIsNotRestrictedIsRejected() {
    Pod privileged =
        new PodBuilder(restrictedPod("root", "amd64", "id"))
            .editSpec()
            .editFirstContainer()
            .editSecurityContext()
            .withRunAsNonRoot(false)
            .withRunAsUser(0L)
            .endSecurityContext()
            .endContainer()
            .endSpec()
            .build();

    assertThatThrownBy(
            () -> cluster.client().pods().inNamespace(namespace).resource(privileged).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("violates PodSecurity \"restricted");
  }

  private static Pod restrictedPod(String name, String arch, String script) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withNodeSelector(Map.of("kubernetes.io/arch", arch))
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(65532L)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .addNewContainer()
        .withName("main")
        .withImage(IMAGE)
        .withCommand(List.of("/bin/sh", "-c", script))
        .withNewSecurityContext()
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .endSecurityContext()
        .endContainer()
        .endSpec()
        .build();
  }

  private static Pod awaitTerminated(KubernetesClient client, String name) {
    await(name + " to terminate")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              Pod p = client.pods().inNamespace(namespace).withName(name).get();
              return p.getStatus().getContainerStatuses().size() == 1
                  && p.getStatus().getContainerStatuses().get(0).getState().getTerminated() != null;
            });
    return client.pods().inNamespace(namespace).withName(name).get();
  }

  private static String describe(String name) {
    return cluster.kubectl("describe", "pod", "-n", namespace, name).stdout();
  }
}

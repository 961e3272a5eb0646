package dev.lamina.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared control plane is the pinned Kubernetes version and its controllers really work. */
@ExtendWith(ControlPlaneExtension.class)
class ControlPlaneIT {
  @Test
  void apiserverIsThePinnedVersion(KubernetesClient client) {
    assertThat(client.getKubernetesVersion().getGitVersion())
        .startsWith("v" + System.getProperty("lamina.kubeVersion"));
  }

  @Test
  void kubectlTalksToTheSameApiserverThroughTheKubeconfigFile(ControlPlane cluster) {
    String ns = cluster.newNamespace("kubectl");

    KubectlResult result = cluster.kubectl("get", "namespace", ns, "-o", "name");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.stdout().trim()).isEqualTo("namespace/" + ns);
    assertThat(cluster.kubectl("get", "namespace", "does-not-exist").exitCode()).isNotZero();
  }

  @Test
  void newNamespaceHasTheDefaultServiceAccount(ControlPlane cluster) {
    String ns = cluster.newNamespace("sa");

    assertThat(ns).startsWith("sa-");
    assertThat(cluster.client().serviceAccounts().inNamespace(ns).withName("default").get())
        .isNotNull();
  }

  @Test
  void garbageCollectorDeletesDependentsOfADeletedOwner(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("gc");
    ConfigMap owner =
        client
            .configMaps()
            .inNamespace(ns)
            .resource(
                new ConfigMapBuilder().withNewMetadata().withName("owner").endMetadata().build())
            .create();
    client
        .configMaps()
        .inNamespace(ns)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("dependent")
                .withOwnerReferences(
                    new OwnerReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("ConfigMap")
                        .withName("owner")
                        .withUid(owner.getMetadata().getUid())
                        .build())
                .endMetadata()
                .build())
        .create();

    client.configMaps().inNamespace(ns).withName("owner").delete();

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.configMaps().inNamespace(ns).withName("dependent").get() == null);
  }

  @Test
  void schedulerBindsPodToNodeOfTheSelectedArchitecture(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("sched");
    String nodeName = ns + "-arm64";
    Map<String, Quantity> resources =
        Map.of("cpu", new Quantity("2"), "memory", new Quantity("2Gi"), "pods", new Quantity("10"));
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(nodeName)
            .withLabels(
                Map.of(
                    "kubernetes.io/os", "linux",
                    "kubernetes.io/arch", "arm64",
                    "kubernetes.io/hostname", nodeName))
            .endMetadata()
            .withNewStatus()
            .addToCapacity(resources)
            .addToAllocatable(resources)
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withLastHeartbeatTime(Instant.now().toString())
            .withLastTransitionTime(Instant.now().toString())
            .endCondition()
            .endStatus()
            .build();
    client.nodes().resource(node).create();
    try {
      client
          .pods()
          .inNamespace(ns)
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName("pinned")
                  .endMetadata()
                  .withNewSpec()
                  .withNodeSelector(
                      Map.of("kubernetes.io/arch", "arm64", "kubernetes.io/hostname", nodeName))
                  // Restricted, so that it is admitted on the cluster of hack/cluster-up.sh too.
                  .withNewSecurityContext()
                  .withRunAsNonRoot(true)
                  .withNewSeccompProfile()
                  .withType("RuntimeDefault")
                  .endSeccompProfile()
                  .endSecurityContext()
                  .addNewContainer()
                  .withName("main")
                  .withImage("registry.invalid/none:1")
                  .withNewSecurityContext()
                  .withAllowPrivilegeEscalation(false)
                  .withNewCapabilities()
                  .withDrop("ALL")
                  .endCapabilities()
                  .endSecurityContext()
                  .endContainer()
                  .endSpec()
                  .build())
          .create();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                Pod pod = client.pods().inNamespace(ns).withName("pinned").get();
                assertThat(pod.getSpec().getNodeName()).isEqualTo(nodeName);
              });
    } finally {
      client.pods().inNamespace(ns).withName("pinned").withGracePeriod(0).delete();
      client.nodes().withName(nodeName).delete();
    }
  }
}

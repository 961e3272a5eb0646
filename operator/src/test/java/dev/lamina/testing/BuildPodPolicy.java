package dev.lamina.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * deploy/base/build-pods.yaml installed as deploy/ installs it (rendered by kustomize, the
 * operator's image copied in), with deploy/base/rbac.yaml. The control plane outlives a test class:
 * uninstall it.
 *
 * @param image the operator Deployment's image, the only one the policy admits in build pods
 * @param file the rendered policy and binding
 */
public record BuildPodPolicy(String image, Path file) {
  public static final String NAME = "lamina-build-pods";
  public static final String ACCOUNT = "system:serviceaccount:lamina-system:lamina-operator";

  /** The operator Deployment among the objects {@code kubectl kustomize deploy} rendered. */
  public static Deployment operatorDeployment(ControlPlane cluster, String rendered) {
    return cluster
        .client()
        .load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
        .items()
        .stream()
        .filter(Deployment.class::isInstance)
        .map(Deployment.class::cast)
        .findFirst()
        .orElseThrow();
  }

  public static BuildPodPolicy install(ControlPlane cluster) throws IOException {
    KubectlResult rbac =
        cluster.kubectl("apply", "-f", "deploy/base/namespace.yaml", "-f", "deploy/base/rbac.yaml");
    assertThat(rbac.succeeded()).as(rbac.toString()).isTrue();
    KubectlResult rendered = cluster.kubectl("kustomize", "deploy");
    assertThat(rendered.succeeded()).as(rendered.toString()).isTrue();
    Deployment operator = operatorDeployment(cluster, rendered.stdout());
    String image = operator.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    String admission =
        Stream.of(rendered.stdout().split("(?m)^---$"))
            .filter(d -> d.contains("admissionregistration.k8s.io/v1"))
            .filter(d -> d.contains("name: " + NAME))
            .reduce("", (a, b) -> a + "---\n" + b.strip() + "\n");
    Path file = Files.createTempFile("build-pods", ".yaml");
    Files.writeString(file, admission);
    KubectlResult applied = cluster.kubectl("apply", "-f", file.toString());
    assertThat(applied.succeeded()).as(applied.toString()).isTrue();
    assertThat(applied.stdout()).contains("validatingadmissionpolicy").contains("binding");
    awaitEnforced(cluster);
    return new BuildPodPolicy(image, file);
  }

  /** The ServiceAccount's client: impersonated, with the groups a real token of it carries. */
  public static KubernetesClient asOperator(ControlPlane cluster) throws IOException {
    Config config = Config.fromKubeconfig(Files.readString(cluster.kubeconfigPath()));
    config.setImpersonateUsername(ACCOUNT);
    config.setImpersonateGroups(
        "system:serviceaccounts", "system:serviceaccounts:lamina-system", "system:authenticated");
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * The apiserver applies a new policy and binding once its informers see them. The probe goes to
   * default: lamina-system enforces the restricted Pod Security Standard, which would refuse it
   * first.
   */
  private static void awaitEnforced(ControlPlane cluster) throws IOException {
    Pod probe =
        new PodBuilder()
            .withNewMetadata()
            .withName("probe")
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withHostNetwork(true)
            .addNewContainer()
            .withName("probe")
            .withImage("docker.io/library/busybox:1")
            .endContainer()
            .endSpec()
            .build();
    try (KubernetesClient operator = asOperator(cluster)) {
      await(NAME + " enforced")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                try {
                  operator.pods().resource(probe).dryRun().create();
                  return false;
                } catch (KubernetesClientException e) {
                  return e.getMessage().contains("ValidatingAdmissionPolicy '" + NAME + "'");
                }
              });
    }
  }

  public void uninstall(ControlPlane cluster) throws IOException {
    KubectlResult deleted = cluster.kubectl("delete", "-f", file.toString());
    assertThat(deleted.succeeded()).as(deleted.toString()).isTrue();
    Files.deleteIfExists(file);
  }
}

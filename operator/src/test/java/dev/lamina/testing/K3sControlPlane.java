package dev.lamina.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/** A k3s cluster of the same Kubernetes version in a Testcontainers container. */
final class K3sControlPlane {
  private K3sControlPlane() {}

  /** Why k3s cannot run here, or empty when a Docker engine answers. */
  static Optional<String> unavailableReason() {
    try {
      DockerClientFactory.instance().client();
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of("Testcontainers finds no Docker engine (" + e.getMessage() + ")");
    }
  }

  static ControlPlane start(String kubeVersion, Path repoRoot, Path workDir) throws Exception {
    Path kubectl = LocalControlPlane.binaryDir(kubeVersion).resolve("kubectl");
    if (!Files.isExecutable(kubectl)) {
      throw new IllegalStateException(
          "kubectl v"
              + kubeVersion
              + " is missing at "
              + kubectl
              + ": run hack/build-control-plane.sh (needs Go)");
    }
    K3sContainer k3s =
        new K3sContainer(DockerImageName.parse("rancher/k3s:v" + kubeVersion + "-k3s1"));
    k3s.start();
    try {
      Files.createDirectories(workDir);
      Path kubeconfig = workDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, k3s.getKubeConfigYaml(), StandardCharsets.UTF_8);
      return new ControlPlane(
          "k3s",
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml()))
              .build(),
          kubeconfig,
          kubectl,
          repoRoot,
          k3s::stop);
    } catch (Exception | Error e) {
      k3s.stop();
      throw e;
    }
  }
}

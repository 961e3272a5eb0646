package dev.lamina.testing;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The real single-machine cluster of {@code hack/cluster-up.sh}: the control plane, a kubelet node
 * per architecture ({@link #AMD64_NODE}, {@link #ARM64_NODE}, the arm64 one under qemu-user),
 * kube-proxy, and a registry the nodes pull from over plain HTTP ({@link #REGISTRY}). It runs
 * outside the test JVM; tests connect to it and never stop it ({@code hack/cluster-down.sh} does).
 *
 * <p>Its kubeconfig is {@code $LAMINA_CLUSTER_KUBECONFIG}, else {@code
 * $LAMINA_CLUSTER_DIR/kubeconfig}, else {@code /var/lib/lamina-cluster/kubeconfig}, the defaults of
 * the scripts. Every namespace enforces the restricted Pod Security Standard unless labelled
 * otherwise.
 */
public final class RealCluster {
  /** The amd64 node: kubelet, containerd and runc native. */
  public static final String AMD64_NODE = "lamina-amd64";

  /** The arm64 node: an arm64 kubelet and containerd under qemu-user, the host's runc. */
  public static final String ARM64_NODE = "lamina-arm64";

  /** The registry as pods and containerd reach it (the bridge gateway), plain HTTP. */
  public static final String REGISTRY = "10.244.0.1:5000";

  /** The same registry storage, listening on loopback for the host only. */
  public static final String REGISTRY_LOOPBACK = "127.0.0.1:5000";

  /**
   * {@code LAMINA_REAL_NODES=required} (as {@code .ci/run} sets it) turns "the cluster is not up"
   * from a skip into a failure.
   */
  public static final boolean REQUIRED = "required".equals(System.getenv("LAMINA_REAL_NODES"));

  private RealCluster() {}

  /** Where hack/cluster-up.sh wrote the admin kubeconfig. */
  public static Path kubeconfig() {
    String explicit = System.getenv("LAMINA_CLUSTER_KUBECONFIG");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String dir = System.getenv("LAMINA_CLUSTER_DIR");
    return Path.of(dir != null && !dir.isBlank() ? dir : "/var/lib/lamina-cluster")
        .resolve("kubeconfig");
  }

  /**
   * Why the cluster can't be used right now (no kubeconfig, the apiserver doesn't answer, a node is
   * not Ready), or empty when it can.
   */
  public static Optional<String> unavailableReason() {
    Path kubeconfig = kubeconfig();
    if (!Files.isReadable(kubeconfig)) {
      return Optional.of("no readable kubeconfig at " + kubeconfig + ": run hack/cluster-up.sh");
    }
    try (KubernetesClient client = client(kubeconfig)) {
      // The apiserver listens on the cluster's bridge. With the cluster down that address may
      // well route to some other machine's apiserver, which must not be mistaken for ours.
      String host = URI.create(client.getConfiguration().getMasterUrl()).getHost();
      if (NetworkInterface.getByInetAddress(InetAddress.getByName(host)) == null) {
        return Optional.of(
            "the apiserver address "
                + host
                + " of "
                + kubeconfig
                + " is not on this machine: run hack/cluster-up.sh");
      }
      for (String name : List.of(AMD64_NODE, ARM64_NODE)) {
        Node node = client.nodes().withName(name).get();
        if (node == null) {
          return Optional.of("node " + name + " is not registered: run hack/cluster-up.sh");
        }
        boolean ready =
            node.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        if (!ready) {
          return Optional.of("node " + name + " is not Ready: run hack/cluster-up.sh");
        }
      }
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      return Optional.of(
          "the cluster of "
              + kubeconfig
              + " does not answer ("
              + cause
              + "): run hack/cluster-up.sh");
    }
  }

  /**
   * A {@link ControlPlane} on this cluster with Lamina's CRDs to be installed by the caller;
   * closing it closes the client only, the cluster keeps running.
   */
  public static ControlPlane connect(String kubeVersion, Path repoRoot) throws IOException {
    Path kubectl = LocalControlPlane.binaryDir(kubeVersion).resolve("kubectl");
    Optional<String> reason = unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalStateException("LAMINA_TEST_CLUSTER=nodes: " + reason.get());
    }
    return new ControlPlane(
        "nodes", client(kubeconfig()), kubeconfig(), kubectl, repoRoot, () -> {});
  }

  private static KubernetesClient client(Path kubeconfig) throws IOException {
    return new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
        .build();
  }
}

package dev.lamina.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running Kubernetes control plane shared by every test class of one test run.
 *
 * <p>Obtain it through {@link ControlPlaneExtension}. It has Lamina's CRDs installed and
 * Established, and a scheduler and controller manager (garbage collector, node lifecycle,
 * namespace, service account and the other default controllers) run against it, but no kubelet:
 * pods are scheduled onto Node objects a test creates and never run unless something plays the
 * kubelet. Tests must not stop it, and should work in their own namespace ({@link #newNamespace});
 * cluster-scoped objects a test creates are seen by every other test of the run.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Duration KUBECTL_TIMEOUT = Duration.ofMinutes(2);

  private final String flavour;
  private final KubernetesClient client;
  private final Path kubeconfig;
  private final Path kubectl;
  private final Path repoRoot;
  private final AutoCloseable stopper;
  private final AtomicBoolean closed = new AtomicBoolean();

  ControlPlane(
      String flavour,
      KubernetesClient client,
      Path kubeconfig,
      Path kubectl,
      Path repoRoot,
      AutoCloseable stopper) {
    this.flavour = flavour;
    this.client = client;
    this.kubeconfig = kubeconfig;
    this.kubectl = kubectl;
    this.repoRoot = repoRoot;
    this.stopper = stopper;
  }

  /** A client with cluster-admin rights; shared, so do not close it. */
  public KubernetesClient client() {
    return client;
  }

  /**
   * A kubeconfig file with cluster-admin rights that other processes (the operator jar, the node
   * agent, kubectl) can be pointed at with {@code --kubeconfig} or {@code KUBECONFIG}.
   */
  public Path kubeconfigPath() {
    return kubeconfig;
  }

  /**
   * Where the control plane runs: {@code kube-api-test} (local processes), {@code nodes} (the real
   * cluster of hack/cluster-up.sh) or {@code k3s}.
   */
  public String flavour() {
    return flavour;
  }

  /** The repository's root directory, where crds/, deploy/ and samples/ are. */
  public Path repoRoot() {
    return repoRoot;
  }

  /**
   * Creates a namespace named {@code prefix-<random>} and returns its name once its {@code default}
   * ServiceAccount exists, so pods can be created in it right away.
   *
   * @param prefix a DNS label of at most 40 characters, e.g. the test class's subject
   */
  public String newNamespace(String prefix) {
    if (!prefix.matches("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          "namespace prefix must be a DNS label of at most 40 characters: " + prefix);
    }
    String name =
        prefix
            + "-"
            + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36)
                .toLowerCase(Locale.ROOT);
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("lamina.dev/test-namespace", "true")
                .endMetadata()
                .build())
        .create();
    await("ServiceAccount default in namespace " + name)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> client.serviceAccounts().inNamespace(name).withName("default").get() != null);
    return name;
  }

  /**
   * The kubectl of the control plane's Kubernetes version, for a caller that streams its output.
   */
  public Path kubectlPath() {
    return kubectl;
  }

  /**
   * Runs the kubectl of the control plane's Kubernetes version against it ({@code --kubeconfig} is
   * added), in the repository's root directory, and waits up to two minutes for it.
   *
   * @param args kubectl's arguments, e.g. {@code "apply", "-k", "deploy", "--dry-run=server"}
   * @return its exit code, stdout and stderr; a non-zero exit code is returned, not thrown
   */
  public KubectlResult kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(kubectl.toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile("kubectl", ".out");
      Path err = Files.createTempFile("kubectl", ".err");
      try {
        Process process =
            new ProcessBuilder(command)
                .directory(repoRoot.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(KUBECTL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
          throw new IllegalStateException(
              "kubectl did not finish within " + KUBECTL_TIMEOUT + ": " + String.join(" ", args));
        }
        return new KubectlResult(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + kubectl, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running kubectl", e);
    }
  }

  /** Stops the control plane; called once by JUnit at the end of the run. */
  @Override
  public void close() throws Exception {
    if (closed.compareAndSet(false, true)) {
      client.close();
      stopper.close();
    }
  }
}

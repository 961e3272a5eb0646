package dev.lamina.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one Kubernetes control plane per test run and hands it to tests.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * @ExtendWith(ControlPlaneExtension.class)
 * class LayerReconcilerIT {
 *   @Test
 *   void layerBecomesReady(ControlPlane cluster) {
 *     String ns = cluster.newNamespace("layer");
 *     cluster.client().resources(Layer.class).inNamespace(ns).resource(layer).create();
 *     KubectlResult r = cluster.kubectl("get", "lamina", "-n", ns);
 *   }
 * }
 * }</pre>
 *
 * <p>Parameters of type {@link ControlPlane} and {@link KubernetesClient} are resolved in
 * constructors, lifecycle methods ({@code @BeforeAll} included) and test methods; {@link #shared()}
 * gives it to code that runs before any of those. The first test class starts the control plane
 * (before its {@code @BeforeAll} methods, so a start failure fails the class); it lives in the root
 * {@link ExtensionContext.Store}, is stopped when the run ends (or when the JVM exits, should the
 * run be interrupted), and a failed start is not retried.
 *
 * <p>By default the control plane is etcd and kube-apiserver through fabric8 kube-api-test, with
 * kube-scheduler and kube-controller-manager processes beside them, all of the version in the
 * system property {@code lamina.kubeVersion} (Maven passes {@code kube.version} from pom.xml), from
 * {@code ~/.kubeapitest/k8s/<version>-linux-<arch>/} where hack/build-control-plane.sh puts them.
 * When etcd, kube-apiserver or kubectl are missing and {@code KUBE_API_TEST_OFFLINE_MODE} is not
 * {@code true}, kube-api-test downloads them. With {@code LAMINA_TEST_CLUSTER=k3s} and a Docker
 * engine the tests run on k3s from Testcontainers instead; without Docker that is logged with the
 * reason and the local control plane is used. With {@code LAMINA_TEST_CLUSTER=nodes} the tests run
 * on the real cluster that {@code hack/cluster-up.sh} started (kubelet nodes for amd64 and arm64,
 * see {@link RealCluster}); it must be up, and it keeps running after the tests. Logs of the
 * scheduler and controller manager are in {@code target/control-plane/}.
 *
 * <p>Before the first test runs, every {@code crds/*.yml} of the repository (system property {@code
 * lamina.repoRoot}) is applied and Established, and the apiserver's version is logged.
 */
public final class ControlPlaneExtension implements BeforeAllCallback, ParameterResolver {
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneExtension.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ControlPlaneExtension.class);

  private static ControlPlane shared;
  private static RuntimeException startFailure;

  /**
   * The run's control plane, started on first use; for code that has no ExtensionContext yet, such
   * as a {@code @RegisterExtension static} field that needs a client. A class that uses it should
   * still carry {@code @ExtendWith(ControlPlaneExtension.class)} so that JUnit stops it at the end
   * of the run; otherwise it stops when the JVM exits.
   */
  public static synchronized ControlPlane shared() {
    if (startFailure != null) {
      throw startFailure;
    }
    if (shared == null) {
      try {
        shared = start();
      } catch (RuntimeException e) {
        startFailure = e;
        throw e;
      } catch (Exception e) {
        startFailure = new IllegalStateException("the control plane did not start: " + e, e);
        throw startFailure;
      }
    }
    return shared;
  }

  /** The run's control plane, registered in the root store so that JUnit stops it. */
  public static ControlPlane controlPlane(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(ControlPlane.class, k -> shared(), ControlPlane.class);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    controlPlane(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == ControlPlane.class || type == KubernetesClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    ControlPlane controlPlane = controlPlane(context);
    return parameter.getParameter().getType() == ControlPlane.class
        ? controlPlane
        : controlPlane.client();
  }

  private static ControlPlane start() throws Exception {
    String kubeVersion = requiredProperty("lamina.kubeVersion");
    Path repoRoot = Path.of(requiredProperty("lamina.repoRoot")).toAbsolutePath().normalize();
    Path workDir = Path.of("target", "control-plane").toAbsolutePath();

    String cluster = Optional.ofNullable(System.getenv("LAMINA_TEST_CLUSTER")).orElse("");
    ControlPlane controlPlane = null;
    switch (cluster) {
      case "k3s" -> {
        Optional<String> reason = K3sControlPlane.unavailableReason();
        if (reason.isPresent()) {
          log.warn(
              "LAMINA_TEST_CLUSTER=k3s skipped: {}; running on the local control plane instead",
              reason.get());
        } else {
          controlPlane = K3sControlPlane.start(kubeVersion, repoRoot, workDir);
        }
      }
      case "nodes" -> controlPlane = RealCluster.connect(kubeVersion, repoRoot);
      case "", "local" -> {}
      default ->
          throw new IllegalStateException(
              "LAMINA_TEST_CLUSTER must be local, nodes or k3s, not " + cluster);
    }
    if (controlPlane == null) {
      controlPlane = LocalControlPlane.start(kubeVersion, repoRoot, workDir);
    }
    ControlPlane started = controlPlane;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(started)));
    try {
      log.info(
          "Control plane ({}) up: kube-apiserver {}, kubeconfig {}",
          started.flavour(),
          started.client().getKubernetesVersion().getGitVersion(),
          started.kubeconfigPath());
      installCrds(started.client(), repoRoot.resolve("crds"));
    } catch (Exception | Error e) {
      closeQuietly(started);
      throw e;
    }
    return started;
  }

  private static void installCrds(KubernetesClient client, Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no CRDs (*.yml) in " + dir);
    }
    for (Path file : files) {
      CustomResourceDefinition crd;
      try (InputStream in = Files.newInputStream(file)) {
        crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
      }
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(crd)
          .forceConflicts()
          .serverSideApply();
      String name = crd.getMetadata().getName();
      await("CRD " + name + " Established")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> isEstablished(client, name));
      log.info("Installed CRD {}", name);
    }
  }

  private static boolean isEstablished(KubernetesClient client, String name) {
    CustomResourceDefinition crd =
        client.apiextensions().v1().customResourceDefinitions().withName(name).get();
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String requiredProperty(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + name + " is not set: run the ITs with `mvn verify`, which sets it");
    }
    return value;
  }

  private static void closeQuietly(ControlPlane controlPlane) {
    try {
      controlPlane.close();
    } catch (Exception e) {
      log.warn("Stopping the control plane failed", e);
    }
  }
}

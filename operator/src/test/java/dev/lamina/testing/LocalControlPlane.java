package dev.lamina.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd and kube-apiserver through fabric8 kube-api-test, plus kube-scheduler and
 * kube-controller-manager as processes of the same Kubernetes version.
 */
final class LocalControlPlane {
  private static final Logger log = LoggerFactory.getLogger(LocalControlPlane.class);
  private static final String BUILD_HINT =
      "run hack/build-control-plane.sh (needs Go, https://go.dev/dl/ or apt-get install golang)";

  private LocalControlPlane() {}

  /** kube-api-test's base directory: $KUBE_API_TEST_DIR or ~/.kubeapitest. */
  static Path testDir() {
    String dir = System.getenv(KubeAPIServerConfigBuilder.KUBE_API_TEST_DIR);
    return dir != null && !dir.isBlank()
        ? Path.of(dir)
        : Path.of(System.getProperty("user.home"), KubeAPIServerConfigBuilder.DIRECTORY_NAME);
  }

  /** Where kube-api-test and hack/build-control-plane.sh keep the binaries of one version. */
  static Path binaryDir(String kubeVersion) {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String goArch = arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : "amd64";
    return testDir().resolve("k8s").resolve(kubeVersion + "-linux-" + goArch);
  }

  static ControlPlane start(String kubeVersion, Path repoRoot, Path workDir) throws Exception {
    Path bin = binaryDir(kubeVersion);
    boolean present =
        List.of("etcd", "kube-apiserver", "kubectl").stream()
            .allMatch(b -> Files.isExecutable(bin.resolve(b)));
    // kube-api-test casts the environment variable's string to Boolean and crashes, so read it
    // here and hand the builder a real boolean (which also keeps it from reading the variable).
    boolean forcedOffline =
        Boolean.parseBoolean(System.getenv(KubeAPIServerConfigBuilder.KUBE_API_TEST_OFFLINE_MODE));
    if (!present && forcedOffline) {
      throw new IllegalStateException(
          "etcd, kube-apiserver and kubectl v"
              + kubeVersion
              + " are missing in "
              + bin
              + " and KUBE_API_TEST_OFFLINE_MODE forbids downloading them: "
              + BUILD_HINT);
    }
    if (!present) {
      log.info("No control plane v{} in {}: kube-api-test downloads it", kubeVersion, bin);
    }
    KubeAPIServer apiServer =
        new KubeAPIServer(
            KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir().toString())
                .withApiServerVersion(kubeVersion)
                .withOfflineMode(present || forcedOffline)
                .withWaitForEtcdHealthCheckOnStartup(true)
                .withStartupTimeout(180_000)
                // As on OpenShift: setting blockOwnerDeletion needs update on the owner's
                // finalizers, which deploy/base/rbac.yaml must then grant the operator.
                .withApiServerFlag(
                    "--enable-admission-plugins", "OwnerReferencesPermissionEnforcement")
                .withUpdateKubeConfig(false)
                .build());
    List<Process> processes = new ArrayList<>();
    AutoCloseable stopper =
        () -> {
          for (Process p : processes) {
            stop(p);
          }
          apiServer.stop();
        };
    KubernetesClient client = null;
    try {
      try {
        apiServer.start();
      } catch (RuntimeException e) {
        if (present) {
          throw e;
        }
        throw new IllegalStateException(
            "kube-api-test could not get the control plane binaries v"
                + kubeVersion
                + " ("
                + e.getMessage()
                + "): "
                + BUILD_HINT,
            e);
      }
      for (String component : List.of("kube-scheduler", "kube-controller-manager")) {
        if (!Files.isExecutable(bin.resolve(component))) {
          throw new IllegalStateException(
              component + " v" + kubeVersion + " is missing in " + bin + ": " + BUILD_HINT);
        }
      }
      Files.createDirectories(workDir);
      Path kubeconfig = workDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, apiServer.getKubeConfigYaml(), StandardCharsets.UTF_8);

      List<String> common =
          List.of("--kubeconfig=" + kubeconfig, "--leader-elect=false", "--secure-port=0");
      List<String> scheduler = new ArrayList<>(List.of(bin.resolve("kube-scheduler").toString()));
      scheduler.addAll(common);
      processes.add(launch(scheduler, workDir.resolve("kube-scheduler.log")));

      List<String> controllerManager =
          new ArrayList<>(List.of(bin.resolve("kube-controller-manager").toString()));
      controllerManager.addAll(common);
      controllerManager.add("--use-service-account-credentials=false");
      controllerManager.add("--root-ca-file=" + testDir().resolve("apiserver.crt"));
      // The token controller signs with the key kube-api-test gave the apiserver; without it the
      // controller cannot start, so it is switched off rather than left failing.
      Path signingKey = testDir().resolve("apiserver.key");
      if (Files.isReadable(signingKey)) {
        controllerManager.add("--controllers=*");
        controllerManager.add("--service-account-private-key-file=" + signingKey);
      } else {
        controllerManager.add("--controllers=*,-serviceaccount-token-controller");
      }
      processes.add(launch(controllerManager, workDir.resolve("kube-controller-manager.log")));

      client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build();
      KubernetesClient started = client;
      // The serviceaccount controller creating default/default shows the controller manager works.
      await("kube-controller-manager to create ServiceAccount default/default")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                if (processes.stream().anyMatch(p -> !p.isAlive())) {
                  throw new IllegalStateException(
                      "a control plane component exited; see the logs in " + workDir);
                }
                return started.serviceAccounts().inNamespace("default").withName("default").get()
                    != null;
              });
      return new ControlPlane(
          "kube-api-test", client, kubeconfig, bin.resolve("kubectl"), repoRoot, stopper);
    } catch (Exception | Error e) {
      if (client != null) {
        client.close();
      }
      try {
        stopper.close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static Process launch(List<String> command, Path logFile) throws IOException {
    log.info("Starting {} (log {})", Path.of(command.get(0)).getFileName(), logFile);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(logFile.toFile())
        .start();
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
    }
  }
}

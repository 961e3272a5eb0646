package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.BuildState;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator as its own process, killed with SIGKILL in the middle of a build: whatever it held
 * in memory is gone, and its successor must finish the build from the cluster's state alone.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorRestartIT {
  static final Duration BUILD = Duration.ofMinutes(3);

  @Test
  void operatorKilledMidBuildFinishesItAfterRestartWithOnePodPerArchitecture(ControlPlane cluster)
      throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("restart");
    try (TestRegistry registry = TestRegistry.start()) {
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      pushLayers(oci, host + "/" + ns, "restart");
      client.resource(layer(ns, "kernel", host + "/" + ns + "/kernel:v1")).create();
      client.resource(layer(ns, "base", host + "/" + ns + "/base:v1")).create();

      try (PodWatch pods = new PodWatch(client, ns)) {
        OperatorProcess first = OperatorProcess.start(cluster, List.of(), unlimited());
        try {
          client
              .resource(
                  osImage(
                      ns,
                      "edge",
                      List.of(Architecture.amd64, Architecture.arm64),
                      host + "/" + ns + "/out",
                      "quiet"))
              .create();
          // No node exists yet, so the pods wait unscheduled: the kill is sure to come mid-build.
          await()
              .atMost(BUILD)
              .until(
                  () -> {
                    assertThat(first.process.isAlive()).as(first.output()).isTrue();
                    return client.pods().inNamespace(ns).list().getItems().size() == 2;
                  });
          assertThat(client.pods().inNamespace(ns).list().getItems())
              .allSatisfy(p -> assertThat(p.getStatus().getPhase()).isEqualTo("Pending"));
        } finally {
          first.kill();
        }
        assertThat(first.process.exitValue()).as("exit code of a SIGKILLed JVM").isEqualTo(137);

        Path work = Files.createTempDirectory("lamina-node");
        try (OperatorProcess second = OperatorProcess.start(cluster, List.of(), unlimited());
            LocalNodeAgent agent =
                new LocalNodeAgent(
                    client,
                    List.of("amd64", "arm64"),
                    Path.of(System.getProperty("lamina.jar")),
                    work)) {
          agent.start();
          await()
              .atMost(BUILD)
              .until(
                  () -> {
                    assertThat(second.process.isAlive()).as(second.output()).isTrue();
                    return Phase.Ready == phase(client, ns);
                  });
        }
        OSImage built = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
        assertThat(built.getStatus().getDigest()).startsWith("sha256:");
        assertThat(built.getStatus().getArchitectures())
            .allSatisfy(
                a -> {
                  assertThat(a.getAttempts()).isEqualTo(1);
                  assertThat(a.getState()).isEqualTo(BuildState.Succeeded);
                });
        assertThat(pods.created).hasSize(2);
        assertThat(pods.created)
            .anyMatch(n -> n.startsWith("edge-amd64-"))
            .anyMatch(n -> n.startsWith("edge-arm64-"));
      }
    }
  }

  /**
   * The test settings without the cluster-wide build-pod limit: OSImages that earlier ITs left in
   * the shared apiserver, their registries gone, took all 4 slots in one CI run and queued this
   * test's builds behind their failing ones until it timed out.
   */
  static String[] unlimited() {
    List<String> args = new java.util.ArrayList<>(List.of(OperatorProcess.testSettings()));
    args.addAll(List.of("--max-build-pods", "0"));
    return args.toArray(String[]::new);
  }

  static Phase phase(KubernetesClient client, String ns) {
    OSImage o = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }
}

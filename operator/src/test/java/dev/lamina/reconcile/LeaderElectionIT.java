package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two operators, as deploy/ runs two replicas: only the holder of the Lease reconciles. The leader
 * is SIGKILLed in the middle of a build; the other takes the Lease over and finishes the build,
 * which starts one pod per architecture, succeeds once and pushes one index.
 */
@ExtendWith(ControlPlaneExtension.class)
class LeaderElectionIT {
  static final Duration BUILD = Duration.ofMinutes(3);
  private static final Pattern PORT = Pattern.compile("health and metrics on port (\\d+)");

  @Test
  void followerTakesOverFromAKilledLeaderAndTheBuildEndsOnceWithOneIndexPush(ControlPlane cluster)
      throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("leader");
    String leaseNs = cluster.newNamespace("lease");
    try (TestRegistry registry = TestRegistry.start()) {
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      pushLayers(oci, host + "/" + ns, "leader");
      client.resource(layer(ns, "kernel", host + "/" + ns + "/kernel:v1")).create();
      client.resource(layer(ns, "base", host + "/" + ns + "/base:v1")).create();

      Map<String, OperatorProcess> operators = new java.util.TreeMap<>();
      try (PodWatch pods = new PodWatch(client, ns)) {
        for (String identity : List.of("operator-a", "operator-b")) {
          operators.put(identity, start(cluster, ns, leaseNs, identity));
        }
        await()
            .atMost(Duration.ofSeconds(90))
            .until(() -> holder(client, leaseNs), h -> h != null && operators.containsKey(h));

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
                  for (OperatorProcess p : operators.values()) {
                    assertThat(p.process.isAlive()).as(p.output()).isTrue();
                  }
                  return client.pods().inNamespace(ns).list().getItems().size() == 2;
                });
        // Both replicas are ready, the follower too: a RollingUpdate waits for that.
        for (OperatorProcess p : operators.values()) {
          await()
              .atMost(Duration.ofSeconds(90))
              .untilAsserted(() -> assertThat(readyz(p)).as(p.output()).isEqualTo(200));
        }
        String leader = holder(client, leaseNs);
        String follower = leader.equals("operator-a") ? "operator-b" : "operator-a";
        assertThat(operators.get(follower).output())
            .as("the follower processed no event while the leader lived")
            .doesNotContain("Started event processing");
        operators.get(leader).kill();

        Path work = Files.createTempDirectory("lamina-node");
        try (LocalNodeAgent agent =
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
                    OperatorProcess p = operators.get(follower);
                    assertThat(p.process.isAlive()).as(p.output()).isTrue();
                    return Phase.Ready == phase(client, ns);
                  });
        }
        assertThat(holder(client, leaseNs)).isEqualTo(follower);
        assertThat(operators.get(follower).output()).contains("Started event processing");

        OSImage built = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
        assertThat(built.getStatus().getArchitectures())
            .allSatisfy(a -> assertThat(a.getAttempts()).isEqualTo(1));
        assertThat(pods.created).hasSize(2);
        assertThat(occurrences(client, ns, "BuildStarted")).isEqualTo(2);
        assertThat(occurrences(client, ns, "BuildSucceeded")).isEqualTo(1);
        // The index is pushed under its cache tag once: the registry logged one such PUT.
        String indexPut = "PUT /v2/" + ns + "/out/manifests/lamina-";
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> registry.requests().stream().anyMatch(r -> r.startsWith(indexPut)));
        assertThat(registry.requests().stream().filter(r -> r.startsWith(indexPut)))
            .as(String.join("\n", registry.requests()))
            .hasSize(1);
      } finally {
        for (OperatorProcess p : operators.values()) {
          p.close();
        }
      }
    }
  }

  private static OperatorProcess start(
      ControlPlane cluster, String ns, String leaseNs, String identity) throws Exception {
    List<String> args = new ArrayList<>(List.of(OperatorProcess.testSettings()));
    args.addAll(
        List.of(
            "--namespaces",
            ns,
            "--lease-namespace",
            leaseNs,
            "--lease-identity",
            identity,
            // Shorter than the defaults (15 s, 10 s, 2 s) for a quicker takeover, but with room for
            // a
            // renewal on a loaded machine: a leader that misses its deadline exits.
            "--lease-duration",
            "PT10S",
            "--lease-renew-deadline",
            "PT8S",
            "--lease-retry-period",
            "PT2S"));
    return OperatorProcess.start(cluster, List.of("-Xmx256m"), args.toArray(String[]::new));
  }

  private static int readyz(OperatorProcess operator) throws Exception {
    Matcher m = PORT.matcher(operator.output());
    assertThat(m.find()).as(operator.output()).isTrue();
    HttpRequest get =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/readyz")).build();
    return HttpClient.newHttpClient()
        .send(get, HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static String holder(KubernetesClient client, String leaseNs) {
    Lease lease = client.leases().inNamespace(leaseNs).withName(OperatorMain.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** How often an event of {@code reason} happened, counting aggregated events by their count. */
  static int occurrences(KubernetesClient client, String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .mapToInt(LeaderElectionIT::count)
        .sum();
  }

  private static int count(Event e) {
    return e.getCount() == null ? 1 : e.getCount();
  }

  static Phase phase(KubernetesClient client, String ns) {
    OSImage o = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }
}

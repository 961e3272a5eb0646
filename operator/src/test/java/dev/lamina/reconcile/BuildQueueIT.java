package dev.lamina.reconcile;

import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The cluster-wide limit on build pods at once, with the real scheduler and API server. */
@ExtendWith(ControlPlaneExtension.class)
class BuildQueueIT {
  static final Duration WAIT = Duration.ofSeconds(180);

  @Test
  void imagesBeyondTheLimitWaitQueuedAndAllBuildOneAtATime(ControlPlane cluster) throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("queue");
    OperatorSettings base = OperatorTestSupport.settings();
    OperatorSettings oneAtATime =
        new OperatorSettings(
            base.tagResolveInterval(),
            base.noNodeGrace(),
            base.builderImage(),
            base.insecureRegistries(),
            base.retryBackoff(),
            base.registryTimeouts(),
            base.maxLimits(),
            1);
    Set<String> unfinished = ConcurrentHashMap.newKeySet();
    AtomicInteger peak = new AtomicInteger();
    Map<String, String> queuedMessages = new ConcurrentHashMap<>();
    Path work = Files.createTempDirectory("lamina-node");
    try (OperatorHarness env =
            OperatorHarness.start(
                client, false, oneAtATime, new OperatorMain.Options(Set.of(ns), null));
        LocalNodeAgent agent =
            new LocalNodeAgent(
                client, List.of("amd64"), Path.of(System.getProperty("lamina.jar")), work);
        Watch pods = client.pods().inNamespace(ns).watch(podCounter(unfinished, peak));
        Watch images =
            client.resources(OSImage.class).inNamespace(ns).watch(queuedWatcher(queuedMessages))) {
      agent.start();
      env.layers(ns, "queue");
      for (int i = 0; i < 3; i++) {
        client
            .resource(
                osImage(
                    ns, "img-" + i, List.of(Architecture.amd64), env.image(ns + "/out"), "n=" + i))
            .create();
      }
      await()
          .atMost(WAIT)
          .until(
              () ->
                  client.resources(OSImage.class).inNamespace(ns).list().getItems().stream()
                      .allMatch(
                          o -> o.getStatus() != null && o.getStatus().getPhase() == Phase.Ready));
    }
    assertThat(peak.get()).isEqualTo(1);
    // Two of the three waited for the first one's slot, and said so.
    assertThat(queuedMessages).hasSizeGreaterThanOrEqualTo(2);
    assertThat(queuedMessages.values())
        .containsOnly(
            "Waiting for a build slot for amd64: at most 1 build pods run at once in the cluster.");
  }

  private static Watcher<OSImage> queuedWatcher(Map<String, String> seen) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, OSImage o) {
        if (o.getStatus() != null && o.getStatus().getPhase() == Phase.Queued) {
          seen.put(
              o.getMetadata().getName(),
              Conditions.find(o.getStatus().getConditions(), Conditions.READY)
                  .orElseThrow()
                  .getMessage());
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }

  private static Watcher<Pod> podCounter(Set<String> unfinished, AtomicInteger peak) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        String name = pod.getMetadata().getName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (action == Action.DELETED || "Succeeded".equals(phase) || "Failed".equals(phase)) {
          unfinished.remove(name);
        } else {
          unfinished.add(name);
          peak.accumulateAndGet(unfinished.size(), Math::max);
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}

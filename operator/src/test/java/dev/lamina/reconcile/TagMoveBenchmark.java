package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.PlanFactory;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Not a test: a measurement. 500 OSImages (amd64) share an init Layer by tag; all are Ready from
 * the registry cache. Then that tag moves, so every image has a new input and must build. The
 * operator runs as its own process with {@code --max-build-pods} ({@code lamina.bench.maxPods},
 * default the operator's default), its pods run by the local node agent. Reports the peak number of
 * unfinished build pods at once, the pods created, those the scheduler refused (the stand-in node
 * full), and the time from the push of the moved tag until every image is Ready with its new input.
 * Run with:
 *
 * <pre>mvn -o -pl operator verify -Dit.test=TagMoveBenchmark -Dtest=none
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlamina.bench.images=500</pre>
 */
@ExtendWith(ControlPlaneExtension.class)
class TagMoveBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(TagMoveBenchmark.class);
  static final int IMAGES = Integer.getInteger("lamina.bench.images", 500);
  static final String MAX_PODS = System.getProperty("lamina.bench.maxPods");

  @Test
  void movedTagUnderManyOSImagesSettles(ControlPlane cluster) throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("tagmove");
    try (TestRegistry registry = TestRegistry.start()) {
      OciClient oci = OciClient.builder().build();
      String prefix = registry.host() + "/" + ns;
      pushLayers(oci, prefix, "1");
      client.resource(layer(ns, "kernel", prefix + "/kernel:v1")).create();
      client.resource(layer(ns, "base", prefix + "/base:v1")).create();

      OperatorMain resolver = new OperatorMain(client, settings());
      resolver.start();
      Map<String, Layer> layers = new LinkedHashMap<>();
      for (String name : List.of("kernel", "base")) {
        layers.put(
            name,
            await()
                .atMost(Duration.ofSeconds(60))
                .until(
                    () -> client.resources(Layer.class).inNamespace(ns).withName(name).get(),
                    l ->
                        l.getStatus() != null
                            && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY)));
      }
      resolver.stop();

      OciRepository out = oci.repository(prefix + "/out");
      List<OSImage> images = new ArrayList<>();
      for (int i = 0; i < IMAGES; i++) {
        OSImage o =
            osImage(ns, "img-" + i, List.of(Architecture.amd64), prefix + "/out", "host=" + i);
        images.add(o);
        seedCache(out, PlanFactory.create(o, layers));
        client.resource(o).create();
      }

      List<String> args = new ArrayList<>(List.of(OperatorProcess.testSettings()));
      if (MAX_PODS != null) {
        args.addAll(List.of("--max-build-pods", MAX_PODS));
      }
      Path work = Files.createTempDirectory("lamina-node");
      try (OperatorProcess operator =
              OperatorProcess.start(cluster, List.of("-Xmx512m"), args.toArray(String[]::new));
          LocalNodeAgent agent =
              new LocalNodeAgent(
                  client, List.of("amd64"), Path.of(System.getProperty("lamina.jar")), work)) {
        agent.start();
        await()
            .atMost(Duration.ofMinutes(5))
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> ready(client, ns, Map.of()) == IMAGES);
        Map<String, String> before = new ConcurrentHashMap<>();
        client
            .resources(OSImage.class)
            .inNamespace(ns)
            .list()
            .getItems()
            .forEach(o -> before.put(o.getMetadata().getName(), o.getStatus().getInputDigest()));

        Set<String> unfinished = ConcurrentHashMap.newKeySet();
        Set<String> created = ConcurrentHashMap.newKeySet();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        AtomicInteger peak = new AtomicInteger();
        try (Watch watch =
            client.pods().inNamespace(ns).watch(podCounter(unfinished, created, refused, peak))) {
          long moved = System.nanoTime();
          // The moved tag: base:v1 now points at other content.
          pushLayerImage(
              oci.repository(prefix + "/base"),
              "v1",
              Map.of("amd64", baseFiles("amd64", "2"), "arm64", baseFiles("arm64", "2")));
          await()
              .atMost(Duration.ofMinutes(60))
              .pollInterval(Duration.ofSeconds(1))
              .until(() -> ready(client, ns, before) == IMAGES);
          double settled = (System.nanoTime() - moved) / 1e9;
          LOG.info(
              "RESULT images={} max_build_pods={} peak_unfinished_pods={} pods_created={}"
                  + " pods_refused_by_scheduler={} all_settled_in_s={}",
              IMAGES,
              MAX_PODS == null ? "default" : MAX_PODS,
              peak.get(),
              created.size(),
              refused.size(),
              String.format("%.1f", settled));
        }
      }
    }
  }

  /** Images Ready with an input other than the one in {@code before} (all Ready when empty). */
  private static long ready(KubernetesClient client, String ns, Map<String, String> before) {
    return client.resources(OSImage.class).inNamespace(ns).list().getItems().stream()
        .filter(o -> o.getStatus() != null && o.getStatus().getPhase() == Phase.Ready)
        .filter(
            o ->
                before.isEmpty()
                    || !o.getStatus()
                        .getInputDigest()
                        .equals(before.get(o.getMetadata().getName())))
        .count();
  }

  private static Watcher<Pod> podCounter(
      Set<String> unfinished, Set<String> created, Set<String> refused, AtomicInteger peak) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod pod) {
        String name = pod.getMetadata().getName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (PodOutcome.unschedulableSince(pod).isPresent()) {
          refused.add(name);
        }
        if (action == Action.DELETED || "Succeeded".equals(phase) || "Failed".equals(phase)) {
          unfinished.remove(name);
        } else {
          created.add(name);
          unfinished.add(name);
          int now = unfinished.size();
          if (now > peak.getAndAccumulate(now, Math::max)) {
            LOG.info("new peak {}: {}", now, new java.util.TreeSet<>(unfinished));
          }
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}

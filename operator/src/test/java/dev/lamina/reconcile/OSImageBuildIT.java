package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Whole builds: the operator in this JVM, the real scheduler placing build pods on the local
 * node agent's amd64 and arm64 Nodes, and each pod run as a real {@code java -jar lamina.jar
 * build} process pushing to a real registry.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OSImageBuildIT {
  static final Duration BUILD = Duration.ofMinutes(3);
  static final List<Architecture> BOTH = List.of(Architecture.amd64, Architecture.arm64);

  ControlPlane cluster;
  KubernetesClient client;
  TestRegistry registry;
  OciClient oci;
  OperatorMain operator;
  LocalNodeAgent agent;

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    registry = TestRegistry.start();
    oci = OciClient.builder().build();
    agent = new LocalNodeAgent(client, List.of("amd64", "arm64"),
        Path.of(System.getProperty("lamina.jar")), Files.createTempDirectory("lamina-node"));
    agent.start();
    operator = new OperatorMain(client, settings());
    operator.start();
  }

  @AfterAll
  void stop() throws Exception {
    if (operator != null) {
      operator.stop();
    }
    if (agent != null) {
      agent.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  String image(String name) {
    return registry.host() + "/" + name;
  }

  void layers(String ns, String version) throws Exception {
    pushLayers(ns, version);
    client.resource(layer(ns, "kernel", image(ns + "/kernel") + ":v1")).create();
    client.resource(layer(ns, "base", image(ns + "/base") + ":v1")).create();
  }

  Descriptor pushLayers(String ns, String version) throws Exception {
    Map<String, Map<String, byte[]>> kernel = new LinkedHashMap<>();
    Map<String, Map<String, byte[]>> base = new LinkedHashMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      kernel.put(arch, kernelFiles(arch, version));
      base.put(arch, baseFiles(arch, version));
    }
    pushLayerImage(oci.repository(image(ns + "/kernel")), "v1", kernel);
    return pushLayerImage(oci.repository(image(ns + "/base")), "v1", base);
  }

  OSImage get(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  Phase phase(String ns, String name) {
    OSImage o = get(ns, name);
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }

  String digest(String ns, String name) {
    OSImage o = get(ns, name);
    return o == null || o.getStatus() == null ? null : o.getStatus().getDigest();
  }

  /** The index digest, once the current generation is Ready; read in one request. */
  java.util.Optional<String> readyDigest(String ns, String name) {
    OSImage o = get(ns, name);
    if (o == null || o.getStatus() == null || o.getStatus().getPhase() != Phase.Ready
        || !o.getMetadata().getGeneration().equals(o.getStatus().getObservedGeneration())) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.ofNullable(o.getStatus().getDigest());
  }

  /** Records the node each pod of a namespace was bound to. */
  static final class Bindings implements AutoCloseable {
    final Map<String, String> nodeByPod = new ConcurrentHashMap<>();
    final Watch watch;

    Bindings(KubernetesClient client, String ns) {
      watch = client.pods().inNamespace(ns).watch(new Watcher<>() {
        @Override
        public void eventReceived(Action action, Pod pod) {
          if (pod.getSpec().getNodeName() != null) {
            nodeByPod.put(pod.getMetadata().getName(), pod.getSpec().getNodeName());
          }
        }

        @Override
        public void onClose(WatcherException cause) {}
      });
    }

    @Override
    public void close() {
      watch.close();
    }
  }

  @Test
  void multiArchBuildPushesAnIndexAndRebuildsOnlyOnChange() throws Exception {
    String ns = cluster.newNamespace("build");
    layers(ns, "1");
    OSImage o = osImage(ns, "edge", BOTH, image(ns + "/out"), "console=ttyS0");
    o.getSpec().getOutput().setTag("latest");

    String first;
    try (Bindings bindings = new Bindings(client, ns)) {
      // Applied, as GitOps tools do; later applies by the same manager change it.
      client.resource(o).serverSideApply();
      await().atMost(BUILD).until(() -> Phase.Ready == phase(ns, "edge"));
      KubectlResult wait = cluster.kubectl("wait", "--for=condition=Ready", "osimage/edge", "-n", ns, "--timeout=30s");
      assertThat(wait.exitCode()).as(wait.toString()).isZero();

      assertThat(bindings.nodeByPod).hasSize(2);
      bindings.nodeByPod.forEach((pod, node) ->
          assertThat(node).isEqualTo("local-" + (pod.contains("-arm64-") ? "arm64" : "amd64")));
    }
    OSImage built = get(ns, "edge");
    first = built.getStatus().getDigest();
    OciRepository out = oci.repository(image(ns + "/out"));
    ImageIndex index = ImageIndex.parse(out.manifestBytes(first));
    assertThat(index.manifests()).extracting(m -> m.platform().toString())
        .containsExactlyInAnyOrder("linux/amd64", "linux/arm64");
    for (ArchitectureStatus a : built.getStatus().getArchitectures()) {
      assertThat(a.getState()).isEqualTo("Succeeded");
      assertThat(a.getAttempts()).isEqualTo(1);
      ImageManifest m = ImageManifest.parse(out.manifestBytes(a.getManifestDigest()));
      assertThat(m.layers()).extracting(Descriptor::digest)
          .containsExactlyElementsOf(a.getArtifacts().stream().map(x -> x.getDigest()).toList());
      assertThat(index.manifests()).anySatisfy(d -> {
        assertThat(d.digest()).isEqualTo(a.getManifestDigest());
        assertThat(d.platform().architecture()).isEqualTo(a.getArchitecture());
      });
    }
    assertThat(out.resolveTag("latest")).map(Descriptor::digest).contains(first);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.pods().inNamespace(ns).list().getItems().isEmpty()
        && client.configMaps().inNamespace(ns).withLabel("lamina.dev/osimage").list().getItems().isEmpty());
    assertThat(client.v1().events().inNamespace(ns).list().getItems()).extracting(e -> e.getReason())
        .contains("BuildStarted", "BuildSucceeded");

    try (PodCounter pods = new PodCounter(client, ns)) {
      OSImage again = osImage(ns, "edge", BOTH, image(ns + "/out"), "console=ttyS0");
      again.getSpec().getOutput().setTag("latest");
      client.resource(again).serverSideApply();
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> Phase.Ready == phase(ns, "edge"));
      assertThat(pods.created).isEmpty();

      OSImage changed = osImage(ns, "edge", BOTH, image(ns + "/out"), "console=ttyS0 quiet");
      changed.getSpec().getOutput().setTag("latest");
      client.resource(changed).serverSideApply();
      await().atMost(BUILD).until(() -> readyDigest(ns, "edge").filter(d -> !d.equals(first)).isPresent());
      assertThat(pods.created).hasSize(2);
    }
    String second = digest(ns, "edge");

    try (PodCounter pods = new PodCounter(client, ns)) {
      // One tag moves; moving two at different moments may rightly start a build per move.
      pushLayerImage(oci.repository(image(ns + "/base")), "v1",
          Map.of("amd64", baseFiles("amd64", "2"), "arm64", baseFiles("arm64", "2")));
      await().atMost(BUILD).until(() ->
          readyDigest(ns, "edge").filter(d -> !d.equals(first) && !d.equals(second)).isPresent());
      assertThat(pods.created).hasSize(2);
    }
  }

  @Test
  void corruptedLayerBlobIsRetriedThenFailsWithTheReason() throws Exception {
    String ns = cluster.newNamespace("corrupt");
    layers(ns, "corrupt");
    Layer base = client.resources(Layer.class).inNamespace(ns).withName("base").get();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Layer l = client.resources(Layer.class).inNamespace(ns).withName("base").get();
      return l.getStatus() != null && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY);
    });
    base = client.resources(Layer.class).inNamespace(ns).withName("base").get();
    OciRepository repo = oci.repository(image(ns + "/base"));
    String manifestDigest = base.getStatus().getPlatforms().stream()
        .filter(p -> p.getPlatform().equals("linux/amd64")).findFirst().orElseThrow().getDigest();
    Descriptor blob = ImageManifest.parse(repo.manifestBytes(manifestDigest)).layers().get(0);
    Path file = registry.blobFile(blob.digest());
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(file, bytes);

    OSImage o = osImage(ns, "edge", List.of(Architecture.amd64), image(ns + "/out"), "quiet");
    BuildSpec b = new BuildSpec();
    b.setRetries(1);
    o.getSpec().setBuild(b);
    try (PodCounter pods = new PodCounter(client, ns)) {
      client.resource(o).create();
      await().atMost(BUILD).until(() -> Phase.Failed == phase(ns, "edge"));
      OSImage failed = get(ns, "edge");
      ArchitectureStatus a = failed.getStatus().getArchitectures().get(0);
      assertThat(a.getAttempts()).isEqualTo(2);
      assertThat(a.getState()).isEqualTo("Failed");
      assertThat(pods.created).hasSize(2);
      var ready = Conditions.find(failed.getStatus().getConditions(), Conditions.READY).orElseThrow();
      assertThat(ready.getStatus()).isEqualTo("False");
      assertThat(ready.getReason()).isNotIn("Building", "BuildFailed", "BuildPodFailed");
      assertThat(ready.getMessage()).contains(blob.digest().substring(7, 19));
      // The last failed pod stays for its logs.
      assertThat(client.pods().inNamespace(ns).withName(a.getPod()).get()).isNotNull();
      assertThat(client.v1().events().inNamespace(ns).list().getItems()).extracting(e -> e.getReason())
          .contains("BuildFailed");
    }
  }

  @Test
  void operatorKilledMidBuildFinishesItAfterRestartWithoutDuplicatePods() throws Exception {
    String ns = cluster.newNamespace("restart");
    layers(ns, "restart");
    try (PodCounter pods = new PodCounter(client, ns)) {
      client.resource(osImage(ns, "edge", BOTH, image(ns + "/out"), "quiet")).create();
      await().atMost(BUILD).until(() -> pods.created.size() == 2);
      operator.stop();
      operator = new OperatorMain(client, settings());
      operator.start();
      await().atMost(BUILD).until(() -> Phase.Ready == phase(ns, "edge"));
      assertThat(pods.created).hasSize(2);
      assertThat(get(ns, "edge").getStatus().getArchitectures()).allSatisfy(a -> assertThat(a.getAttempts()).isEqualTo(1));
    }
  }
}

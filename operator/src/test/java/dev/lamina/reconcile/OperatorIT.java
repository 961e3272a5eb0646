package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.CustomRule;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reconcilers on the real control plane and registry, in what needs no build: resolving Layers,
 * waiting for them, policy, the registry cache, and the report of a missing node.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorIT {
  static final Duration WAIT = Duration.ofSeconds(60);

  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, false);
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) {
      env.close();
    }
  }

  Layer layerStatus(String ns, String name) {
    return client.resources(Layer.class).inNamespace(ns).withName(name).get();
  }

  OSImage osImageStatus(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  static Condition ready(List<Condition> conditions) {
    return Conditions.find(conditions, Conditions.READY).orElse(null);
  }

  @Test
  void layerResolvesEachPlatformThroughItsIndex() throws Exception {
    String ns = cluster.newNamespace("layer");
    Descriptor index =
        pushLayerImage(
            env.repository(ns + "/base"),
            "v1",
            Map.of("amd64", baseFiles("amd64", "1"), "arm64", baseFiles("arm64", "1")));
    client.resource(layer(ns, "base", env.image(ns + "/base") + ":v1")).create();

    await()
        .atMost(WAIT)
        .until(() -> Conditions.isTrue(statusConditions(ns, "base"), Conditions.READY));
    Layer l = layerStatus(ns, "base");
    ImageIndex pushed =
        ImageIndex.parse(env.repository(ns + "/base").manifestBytes(index.digest()));
    assertThat(l.getStatus().getIndexDigest()).isEqualTo(index.digest());
    assertThat(l.getStatus().getDigest()).isEqualTo(index.digest());
    assertThat(l.getStatus().getObservedGeneration()).isEqualTo(l.getMetadata().getGeneration());
    assertThat(l.getStatus().getResolvedAt()).isNotNull();
    assertThat(l.getStatus().getPlatforms()).hasSize(2);
    for (var p : l.getStatus().getPlatforms()) {
      Descriptor entry = pushed.select(Platform.parse(p.getPlatform())).orElseThrow();
      assertThat(p.getDigest()).isEqualTo(entry.digest());
      assertThat(p.getSize()).isEqualTo(entry.size());
      long layers =
          ImageManifest.parse(env.repository(ns + "/base").manifestBytes(entry.digest()))
              .layersSize();
      assertThat(p.getLayersSize()).isEqualTo(layers).isPositive();
    }
    assertThat(Conditions.isTrue(l.getStatus().getConditions(), Conditions.POLICY_PASSED)).isTrue();
  }

  List<Condition> statusConditions(String ns, String name) {
    Layer l = layerStatus(ns, name);
    return l == null || l.getStatus() == null ? List.of() : l.getStatus().getConditions();
  }

  @Test
  void movedTagUpdatesTheLayerWithinTheResolveInterval() throws Exception {
    String ns = cluster.newNamespace("moved");
    OciRepository repo = env.repository(ns + "/base");
    Descriptor first = pushLayerImage(repo, "v1", Map.of("amd64", baseFiles("amd64", "1")));
    Layer l = layer(ns, "base", env.image(ns + "/base") + ":v1");
    l.getSpec().setPlatforms(List.of("linux/amd64"));
    client.resource(l).create();
    await().atMost(WAIT).until(() -> first.digest().equals(digestOf(ns, "base")));

    Descriptor second = pushLayerImage(repo, "v1", Map.of("amd64", baseFiles("amd64", "2")));

    await().atMost(WAIT).until(() -> second.digest().equals(digestOf(ns, "base")));
  }

  String digestOf(String ns, String name) {
    Layer l = layerStatus(ns, name);
    return l == null || l.getStatus() == null ? null : l.getStatus().getDigest();
  }

  @Test
  void platformTheImageLacksIsNamed() throws Exception {
    String ns = cluster.newNamespace("platform");
    pushLayerImage(env.repository(ns + "/base"), "v1", Map.of("amd64", baseFiles("amd64", "1")));
    client.resource(layer(ns, "base", env.image(ns + "/base") + ":v1")).create();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Condition c = ready(statusConditions(ns, "base"));
              assertThat(c).isNotNull();
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("PlatformMissing");
              assertThat(c.getMessage()).contains("linux/arm64").doesNotContain("linux/amd64");
            });
  }

  @Test
  void unknownTagGivesTheRegistrysMessage() {
    String ns = cluster.newNamespace("notfound");
    client.resource(layer(ns, "base", env.image(ns + "/nothing") + ":v9")).create();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              Condition c = ready(statusConditions(ns, "base"));
              assertThat(c).isNotNull();
              assertThat(c.getStatus()).isEqualTo("False");
              assertThat(c.getReason()).isEqualTo("ImageNotFound");
              assertThat(c.getMessage()).contains("v9");
            });
  }

  @Test
  void osImageWaitsForItsLayersAndNamesThem() throws Exception {
    String ns = cluster.newNamespace("waits");
    client
        .resource(osImage(ns, "edge", List.of(Architecture.amd64), env.image(ns + "/out"), "quiet"))
        .create();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              OSImage o = osImageStatus(ns, "edge");
              assertThat(o.getStatus()).isNotNull();
              assertThat(o.getStatus().getPhase()).isEqualTo(Phase.Pending);
              Condition c = ready(o.getStatus().getConditions());
              assertThat(c.getReason()).isEqualTo("LayersNotReady");
              assertThat(c.getMessage()).contains("kernel").contains("base");
            });

    env.layers(ns, "1");
    await()
        .atMost(WAIT)
        .untilAsserted(
            // Past its Layers: building, or waiting for a node this cluster lacks; never Failed.
            () ->
                assertThat(ready(osImageStatus(ns, "edge").getStatus().getConditions()).getReason())
                    .isIn("Building", "NoNodeForArchitecture"));
  }

  @Test
  void indexAlreadyInTheRegistryIsReusedWithoutPods() throws Exception {
    String ns = cluster.newNamespace("cache");
    env.layers(ns, "1");
    OSImage first =
        osImage(
            ns,
            "first",
            List.of(Architecture.amd64, Architecture.arm64),
            env.image(ns + "/out"),
            "quiet");
    Descriptor index = env.seedCache(ns, first);

    try (PodWatch pods = new PodWatch(client, ns)) {
      client.resource(first).create();
      await().atMost(WAIT).until(() -> Phase.Ready == phase(ns, "first"));
      KubectlResult wait =
          cluster.kubectl(
              "wait", "--for=condition=Ready", "osimage/first", "-n", ns, "--timeout=30s");
      assertThat(wait.exitCode()).as(wait.toString()).isZero();

      OSImage o = osImageStatus(ns, "first");
      assertThat(o.getStatus().getDigest()).isEqualTo(index.digest());
      assertThat(o.getStatus().getArchitectures())
          .extracting(a -> a.getArchitecture())
          .containsExactly("amd64", "arm64");
      assertThat(o.getStatus().getArchitectures())
          .allSatisfy(
              a -> {
                assertThat(a.getManifestDigest()).startsWith("sha256:");
                assertThat(a.getArtifacts()).extracting(x -> x.getName()).containsExactly("kernel");
              });
      assertThat(o.getStatus().getObservedGeneration()).isEqualTo(o.getMetadata().getGeneration());

      // Same inputs under another name, pushing to another repository: the same content-addressed
      // tag, so another cache hit.
      OSImage second =
          osImage(
              ns,
              "second",
              List.of(Architecture.amd64, Architecture.arm64),
              env.image(ns + "/out"),
              "quiet");
      client.resource(second).create();
      await().atMost(WAIT).until(() -> Phase.Ready == phase(ns, "second"));
      assertThat(osImageStatus(ns, "second").getStatus().getDigest()).isEqualTo(index.digest());

      // Re-applying an unchanged object changes nothing.
      OSImage again =
          osImage(
              ns,
              "first",
              List.of(Architecture.amd64, Architecture.arm64),
              env.image(ns + "/out"),
              "quiet");
      client.resource(again).serverSideApply();
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> Phase.Ready == phase(ns, "first"));
      assertThat(pods.created).isEmpty();
      // A new object found in the cache says so in Ready alone: an Event each made half of the
      // operator's requests for a fleet created at once (ScaleBenchmark).
      assertThat(ready(osImageStatus(ns, "second").getStatus().getConditions()).getMessage())
          .endsWith("(cache hit).");
      assertThat(client.v1().events().inNamespace(ns).list().getItems())
          .filteredOn(e -> "CacheHit".equals(e.getReason()))
          .isEmpty();

      // A restart reconciles every object again: one made Ready from the cache is left as it is,
      // not reworded (that was a status write per cached image on each start or fail-over).
      String version = osImageStatus(ns, "second").getMetadata().getResourceVersion();
      env.restartOperator();
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> version.equals(osImageStatus(ns, "second").getMetadata().getResourceVersion()));
      assertThat(osImageStatus(ns, "second").getStatus().getMessage()).endsWith("(cache hit).");
    }
  }

  Phase phase(String ns, String name) {
    OSImage o = osImageStatus(ns, name);
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }

  @Test
  void architectureWithoutANodeIsReportedAfterTheGracePeriod() throws Exception {
    String ns = cluster.newNamespace("nonode");
    env.layers(ns, "nonode");
    Path work = Files.createTempDirectory("lamina-node");
    try (LocalNodeAgent agent =
        new LocalNodeAgent(
            client,
            List.of("amd64"),
            Path.of(System.getProperty("lamina.jar", "lamina.jar")),
            work)) {
      agent.start();
      client
          .resource(
              osImage(ns, "edge", List.of(Architecture.arm64), env.image(ns + "/out"), "quiet"))
          .create();

      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                OSImage o = osImageStatus(ns, "edge");
                assertThat(o.getStatus()).isNotNull();
                Condition scheduled =
                    Conditions.find(o.getStatus().getConditions(), "Scheduled").orElse(null);
                assertThat(scheduled).isNotNull();
                assertThat(scheduled.getReason()).isEqualTo("NoNodeForArchitecture");
                assertThat(scheduled.getMessage()).contains("arm64");
                assertThat(ready(o.getStatus().getConditions()).getStatus()).isEqualTo("False");
                // Nothing builds while no node can: the phase says it waits.
                assertThat(o.getStatus().getPhase()).isEqualTo(Phase.Pending);
              });
      assertThat(client.pods().inNamespace(ns).list().getItems())
          .singleElement()
          .satisfies(p -> assertThat(p.getSpec().getNodeName()).isNull());
    }
  }

  @Test
  void deletingTheOSImageLetsTheGarbageCollectorRemoveItsPods() throws Exception {
    String ns = cluster.newNamespace("gc");
    env.layers(ns, "gc");
    // No node agent runs here, so the build pods stay pending for as long as the test needs.
    client
        .resource(
            osImage(
                ns,
                "edge",
                List.of(Architecture.amd64, Architecture.arm64),
                env.image(ns + "/out"),
                "quiet"))
        .create();
    await().atMost(WAIT).until(() -> client.pods().inNamespace(ns).list().getItems().size() == 2);
    assertThat(
            client
                .configMaps()
                .inNamespace(ns)
                .withLabel("lamina.dev/osimage", "edge")
                .list()
                .getItems())
        .hasSize(1);

    client.resources(OSImage.class).inNamespace(ns).withName("edge").delete();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(client.pods().inNamespace(ns).list().getItems()).isEmpty();
              assertThat(
                      client
                          .configMaps()
                          .inNamespace(ns)
                          .withLabel("lamina.dev/osimage", "edge")
                          .list()
                          .getItems())
                  .isEmpty();
            });
  }

  @Test
  void longestOSImageNameGetsBuildPodsAndAPlanTheApiserverAccepts() throws Exception {
    String ns = cluster.newNamespace("longname");
    env.layers(ns, "longname");
    String name = "edge." + "a".repeat(120) + "." + "b".repeat(127);
    assertThat(name).hasSize(253);
    // No node agent runs here: the pods stay pending, which is all this needs.
    client
        .resource(
            osImage(
                ns,
                name,
                List.of(Architecture.amd64, Architecture.arm64),
                env.image(ns + "/out"),
                "quiet"))
        .create();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(client.pods().inNamespace(ns).list().getItems())
                  .hasSize(2)
                  .allSatisfy(
                      p -> {
                        assertThat(p.getMetadata().getLabels().get("lamina.dev/osimage"))
                            .hasSizeLessThanOrEqualTo(63)
                            .startsWith("edge.");
                        assertThat(p.getMetadata().getOwnerReferences())
                            .singleElement()
                            .satisfies(r -> assertThat(r.getName()).isEqualTo(name));
                      });
              assertThat(
                      client
                          .configMaps()
                          .inNamespace(ns)
                          .withLabel("lamina.dev/osimage")
                          .list()
                          .getItems())
                  .hasSize(1);
              // The status is written after the pods are created, in the same reconcile.
              OSImage o = osImageStatus(ns, name);
              assertThat(o.getStatus()).isNotNull();
              // Building, or Pending once the grace for a missing node has passed: no node runs.
              assertThat(o.getStatus().getPhase()).isIn(Phase.Building, Phase.Pending);
              assertThat(ready(o.getStatus().getConditions()).getReason())
                  .isIn("Building", "NoNodeForArchitecture");
              assertThat(o.getStatus().getArchitectures())
                  .extracting(a -> a.getPod())
                  .containsExactlyInAnyOrderElementsOf(
                      client.pods().inNamespace(ns).list().getItems().stream()
                          .map(p -> p.getMetadata().getName())
                          .toList());
            });
    OSImage o = osImageStatus(ns, name);
    assertThat(client.v1().events().inNamespace(ns).list().getItems())
        .filteredOn(e -> "BuildStarted".equals(e.getReason()))
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.getInvolvedObject().getName()).isEqualTo(name));
    client.resource(o).delete();
  }

  @Test
  void denyingPolicyBlocksAndLiftingItResumes() throws Exception {
    String ns = cluster.newNamespace("policy");
    env.layers(ns, "policy");
    OSImage o =
        osImage(
            ns,
            "edge",
            List.of(Architecture.amd64),
            env.image(ns + "/out"),
            "console=ttyS0 lamina.debug");
    Descriptor index = env.seedCache(ns, o);
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("deny-" + ns).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    CustomRule rule = new CustomRule();
    rule.setName("no-debug");
    rule.setKinds(List.of("OSImage"));
    rule.setExpression("!object.spec.kernel.cmdline.contains('lamina.debug')");
    rule.setMessage("debug images are not allowed here");
    spec.setCustomRules(List.of(rule));
    policy.setSpec(spec);
    client.resource(policy).create();
    try (PodWatch pods = new PodWatch(client, ns)) {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                ImagePolicy p = client.resources(ImagePolicy.class).withName("deny-" + ns).get();
                return p.getStatus() != null
                    && Conditions.isTrue(p.getStatus().getConditions(), Conditions.READY);
              });
      client.resource(o).create();
      await().atMost(WAIT).until(() -> Phase.Blocked == phase(ns, "edge"));
      OSImage blocked = osImageStatus(ns, "edge");
      assertThat(blocked.getStatus().getPolicy().getVerdict().name()).isEqualTo("Deny");
      assertThat(blocked.getStatus().getPolicy().getResults())
          .extracting(r -> r.getRule())
          .containsExactly("deny-" + ns + "/no-debug");
      assertThat(
              Conditions.find(blocked.getStatus().getConditions(), Conditions.POLICY_PASSED)
                  .orElseThrow()
                  .getStatus())
          .isEqualTo("False");

      client.resource(policy).delete();

      await().atMost(WAIT).until(() -> Phase.Ready == phase(ns, "edge"));
      assertThat(osImageStatus(ns, "edge").getStatus().getDigest()).isEqualTo(index.digest());
      assertThat(pods.created).isEmpty();
    }
  }

  @Test
  void brokenCelMakesThePolicyNotReadyWithTheCompilerMessage() {
    ImagePolicy policy = new ImagePolicy();
    String name = "broken-" + Long.toHexString(System.nanoTime());
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    CustomRule rule = new CustomRule();
    rule.setName("broken");
    rule.setExpression("object.spec.(");
    spec.setCustomRules(List.of(rule));
    policy.setSpec(spec);
    client.resource(policy).create();
    try {
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                ImagePolicy p = client.resources(ImagePolicy.class).withName(name).get();
                assertThat(p.getStatus()).isNotNull();
                Condition c = ready(p.getStatus().getConditions());
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("CompileError");
                assertThat(c.getMessage()).contains("broken");
              });
    } finally {
      client.resource(policy).delete();
    }
  }
}

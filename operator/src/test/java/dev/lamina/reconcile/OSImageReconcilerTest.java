package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Overlap;
import dev.lamina.api.Phase;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.ArtifactTypes;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.plan.BuildResult;
import dev.lamina.plan.InputDigest;
import dev.lamina.plan.PlanFactory;
import dev.lamina.policy.PolicyEngine;
import dev.lamina.reconcile.BuildPods.Owned;
import dev.lamina.testing.TestObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OSImage reconciler's steps against fabric8's API server mock in CRUD mode, with a registry
 * that is an OCI layout on disk: no apiserver, scheduler or registry process.
 */
@EnableKubernetesMockClient(crud = true)
class OSImageReconcilerTest {
  static final String NS = "steps";
  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static KubernetesClient client;

  @TempDir Path tmp;

  OciRepository output;
  final List<ImagePolicy> policies = new ArrayList<>();
  final PolicySet compiled = new PolicySet();
  int freeSlots = Integer.MAX_VALUE;
  final LaminaMetrics metrics = new LaminaMetrics(new SimpleMeterRegistry());
  OSImageReconciler reconciler;

  /** Fixed layers, nodes of both architectures, the policies of the test, the layout. */
  final class FixedView implements ClusterView {
    @Override
    public Optional<Layer> layer(String namespace, String name) {
      return Optional.of(readyLayer(name));
    }

    @Override
    public boolean hasNode(Architecture arch) {
      return true;
    }

    @Override
    public PolicyEngine policy() {
      return compiled.engine(policies.stream());
    }

    @Override
    public Map<String, String> namespaceLabels(String namespace) {
      return Map.of("kubernetes.io/metadata.name", namespace);
    }

    @Override
    public OciRepository output(OSImage image) {
      return output;
    }

    @Override
    public boolean slot(OSImage image, Architecture arch, String pod, Instant now) {
      return freeSlots-- > 0;
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    client.pods().inNamespace(NS).delete();
    client.configMaps().inNamespace(NS).delete();
    output = OciClient.builder().build().repository("oci:" + tmp.resolve("out"));
    reconciler =
        new OSImageReconciler(
            OperatorSettings.defaults("registry.example/lamina@sha256:" + "e".repeat(64)),
            client,
            Clock.fixed(NOW, ZoneOffset.UTC),
            new FixedView());
  }

  static Layer readyLayer(String name) {
    Layer l = new Layer();
    l.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace(NS).withGeneration(1L).build());
    String hex = name.equals("kernel") ? "a" : "b";
    l.setSpec(new LayerSpec("registry.example/" + name + "@sha256:" + hex.repeat(64)));
    LayerStatus s = new LayerStatus();
    s.setObservedGeneration(1L);
    s.setPlatforms(
        List.of(
            new PlatformDigest("linux/amd64", "sha256:" + hex.repeat(63) + "1", 500L, 1000L),
            new PlatformDigest("linux/arm64/v8", "sha256:" + hex.repeat(63) + "2", 500L, 1000L)));
    s.setConditions(Conditions.set(null, Conditions.READY, true, "Resolved", "Resolved.", 1L));
    l.setStatus(s);
    return l;
  }

  static OSImage image(String cmdline) {
    OSImage o =
        TestObjects.osImage(
            NS,
            "edge",
            List.of(Architecture.amd64, Architecture.arm64),
            "registry.example/os/edge",
            cmdline);
    o.getMetadata().setGeneration(1L);
    o.getMetadata().setUid("uid-edge");
    o.getSpec().getOutput().setTag("v1");
    return o;
  }

  static String input(OSImage image) {
    Map<String, Layer> layers = new java.util.HashMap<>();
    image.getSpec().layerNames().forEach(n -> layers.put(n, readyLayer(n)));
    return PlanFactory.create(image, layers, OperatorSettings.DEFAULT_MAX_LIMITS).inputDigest();
  }

  Owned owned(OSImage image) {
    return Owned.of(
        image,
        client.pods().inNamespace(NS).list().getItems(),
        client.configMaps().inNamespace(NS).list().getItems());
  }

  /** One reconcile, as the controller runs it, of {@code image} holding {@code status}. */
  OSImageStatus reconcile(OSImage image, OSImageStatus status) throws IOException {
    image.setStatus(status);
    OSImageStatus next =
        client.getKubernetesSerialization().clone(status == null ? new OSImageStatus() : status);
    reconciler.reconcile(image, next, owned(image), metrics);
    return next;
  }

  List<String> podNames() {
    return client.pods().inNamespace(NS).list().getItems().stream()
        .map(p -> p.getMetadata().getName())
        .sorted()
        .toList();
  }

  /** Pushes a per-architecture manifest: a kernel blob and a build config with overlaps. */
  String pushManifest(String arch, int overlapCount) throws IOException {
    byte[] kernel = ("KERNEL-" + arch).getBytes(StandardCharsets.UTF_8);
    Descriptor k =
        new Descriptor(
            "application/vnd.lamina.kernel.v1",
            Digests.sha256(kernel),
            kernel.length,
            Map.of("org.opencontainers.image.title", "kernel"),
            null,
            null);
    output.pushBlob(k, () -> new ByteArrayInputStream(kernel), null);
    byte[] config =
        ("{\"architecture\":\""
                + arch
                + "\",\"overlapCount\":"
                + overlapCount
                + ",\"overlaps\":"
                + (overlapCount == 0
                    ? "[]"
                    : "[{\"path\":\"etc/motd\",\"lower\":\"base\",\"upper\":\"site\"}]")
                + "}")
            .getBytes(StandardCharsets.UTF_8);
    Descriptor c =
        new Descriptor(ArtifactTypes.BUILD_CONFIG, Digests.sha256(config), config.length);
    output.pushBlob(c, () -> new ByteArrayInputStream(config), null);
    byte[] manifest = ImageManifest.of(ArtifactTypes.OS_IMAGE, c, List.of(k), Map.of()).toJson();
    return output.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null).digest();
  }

  /** The pod of {@code arch} as the kubelet leaves it after the build pushed {@code manifest}. */
  static Pod finished(Pod pod, String arch, String input, String manifest) {
    BuildResult r = new BuildResult(arch, input, manifest, List.of(), List.of(), 0, null, null);
    Pod done = PodOutcomeTest.finished("Succeeded", 0, r.toJson(), null);
    done.setMetadata(pod.getMetadata());
    return done;
  }

  static ArchitectureStatus built(String arch, String manifest) {
    ArchitectureStatus a = BuildStateMachine.initial(Architecture.valueOf(arch));
    a.setState(BuildState.Succeeded);
    a.setManifestDigest(manifest);
    return a;
  }

  static void denyOverlaps(List<ImagePolicy> policies) {
    ImagePolicy p = new ImagePolicy();
    p.setMetadata(new ObjectMetaBuilder().withName("deny-overlaps").withGeneration(1L).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setRules(Map.of("LMN009", PolicyAction.Deny));
    p.setSpec(spec);
    policies.add(p);
  }

  @Test
  void firstReconcileWritesThePlanAndStartsOnePodPerArchitecture() throws IOException {
    OSImage image = image("quiet");
    String shortInput = BuildPodFactory.shortDigest(input(image));

    OSImageStatus status = reconcile(image, null);

    assertThat(status.getPhase()).isEqualTo(Phase.Building);
    assertThat(status.getInputDigest()).isEqualTo(input(image));
    assertThat(status.getArchitectures())
        .extracting(a -> a.getArchitecture() + " " + a.getState() + " " + a.getAttempts())
        .containsExactly("amd64 Pending 1", "arm64 Pending 1");
    assertThat(podNames()).containsExactly("edge-amd64-" + shortInput, "edge-arm64-" + shortInput);
    assertThat(metrics.registry().find("lamina.builds.started").counters())
        .extracting(c -> c.count())
        .containsExactly(1.0, 1.0);
    assertThat(client.configMaps().inNamespace(NS).list().getItems())
        .extracting(c -> c.getMetadata().getName())
        .containsExactly(BuildPodFactory.configMapName("edge", input(image)));

    // Nothing new happened: the next reconcile changes nothing and creates nothing.
    OSImageStatus again = reconcile(image, status);
    assertThat(client.getKubernetesSerialization().asJson(again))
        .isEqualTo(client.getKubernetesSerialization().asJson(status));
    assertThat(podNames()).hasSize(2);
  }

  @Test
  void finishedPodsPublishTheIndexAndGo() throws IOException {
    OSImage image = image("quiet");
    String input = input(image);
    OSImageStatus status = reconcile(image, null);
    for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
      String arch = p.getMetadata().getLabels().get(BuildPodFactory.LABEL_ARCH);
      client.resource(finished(p, arch, input, pushManifest(arch, 0))).update();
    }

    OSImageStatus ready = reconcile(image, status);

    assertThat(ready.getPhase()).isEqualTo(Phase.Ready);
    assertThat(ready.getArchitectures())
        .extracting(a -> a.getState())
        .containsExactly(BuildState.Succeeded, BuildState.Succeeded);
    Descriptor cached = output.resolveTag(InputDigest.cacheTag(input)).orElseThrow();
    assertThat(ready.getDigest()).isEqualTo(cached.digest());
    assertThat(output.resolveTag("v1"))
        .get()
        .extracting(Descriptor::digest)
        .isEqualTo(cached.digest());
    assertThat(ready.getMessage())
        .isEqualTo("Index " + cached.digest() + " is in registry.example/os/edge.");
    assertThat(podNames()).isEmpty();
    assertThat(client.configMaps().inNamespace(NS).list().getItems()).isEmpty();
  }

  @Test
  void indexCachedUnderTheInputDigestIsReusedWithoutPods() throws IOException {
    OSImage image = image("quiet");
    String input = input(image);
    Descriptor index =
        OutputRegistry.publish(
            output,
            input,
            null,
            List.of(
                built("amd64", pushManifest("amd64", 0)),
                built("arm64", pushManifest("arm64", 0))));

    OSImageStatus status = reconcile(image, null);

    assertThat(status.getPhase()).isEqualTo(Phase.Ready);
    assertThat(status.getDigest()).isEqualTo(index.digest());
    assertThat(status.getMessage()).endsWith("(cache hit).");
    assertThat(metrics.registry().get("lamina.cache.hits").counter().count()).isEqualTo(1.0);
    // Reconciled again (a Layer event, the operator's restart): nothing to write.
    image.setStatus(status);
    OSImageStatus next = client.getKubernetesSerialization().clone(status);
    assertThat(reconciler.reconcile(image, next, owned(image), metrics).changed()).isFalse();
    assertThat(next.getMessage()).isEqualTo(status.getMessage());
    assertThat(status.getArchitectures())
        .allSatisfy(
            a -> {
              assertThat(a.getAttempts()).isZero();
              assertThat(a.getOverlapCount()).isZero();
              assertThat(a.getArtifacts()).extracting(x -> x.getName()).containsExactly("kernel");
            });
    assertThat(output.resolveTag("v1"))
        .get()
        .extracting(Descriptor::digest)
        .isEqualTo(index.digest());
    assertThat(podNames()).isEmpty();
    assertThat(client.configMaps().inNamespace(NS).list().getItems()).isEmpty();
  }

  @Test
  void overlapsTheCachedBuildFoundAreDeniedBeforeTheTagIsPushed() throws IOException {
    denyOverlaps(policies);
    OSImage image = image("quiet");
    image.getSpec().setInit(List.of("base", "site"));
    OutputRegistry.publish(
        output,
        input(image),
        null,
        List.of(
            built("amd64", pushManifest("amd64", 1)), built("arm64", pushManifest("arm64", 1))));

    OSImageStatus status = reconcile(image, null);

    assertThat(status.getPhase()).isEqualTo(Phase.Blocked);
    assertThat(status.getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Deny);
    assertThat(status.getDigest()).isNull();
    assertThat(output.resolveTag("v1")).isEmpty();
    assertThat(podNames()).isEmpty();
  }

  @Test
  void overlapsABuildReportsAreDeniedAndItsPodsDeleted() throws IOException {
    denyOverlaps(policies);
    OSImage image = image("quiet");
    image.getSpec().setInit(List.of("base", "site"));
    String input = input(image);
    OSImageStatus status = reconcile(image, null);
    assertThat(status.getPhase()).isEqualTo(Phase.Building);
    ConfigMap plan = client.configMaps().inNamespace(NS).list().getItems().get(0);
    assertThat(plan.getData().values())
        .anyMatch(v -> v.replace(" ", "").contains("\"overlaps\":\"Deny\""));
    Pod amd =
        client
            .pods()
            .inNamespace(NS)
            .withName("edge-amd64-" + BuildPodFactory.shortDigest(input))
            .get();
    BuildResult refused =
        new BuildResult(
            "amd64",
            input,
            null,
            null,
            List.of(new Overlap("etc/motd", "base", "site")),
            1,
            new BuildResult.Failure("PolicyDenied", "LMN009 denies overlaps"),
            null);
    Pod failed = PodOutcomeTest.finished("Failed", 1, refused.toJson(), null);
    failed.setMetadata(amd.getMetadata());
    client.resource(failed).update();

    OSImageStatus blocked = reconcile(image, status);

    assertThat(blocked.getPhase()).isEqualTo(Phase.Blocked);
    assertThat(metrics.registry().get("lamina.policy.denials").counter().count()).isEqualTo(1.0);
    assertThat(Conditions.find(blocked.getConditions(), Conditions.READY).orElseThrow().getReason())
        .isEqualTo("PolicyDenied");
    assertThat(blocked.getArchitectures().get(0).getReason()).isEqualTo("PolicyDenied");
    assertThat(blocked.getArchitectures().get(0).getOverlapCount()).isEqualTo(1);
    assertThat(podNames()).isEmpty();
    assertThat(output.resolveTag("v1")).isEmpty();

    // Still denied on the next reconcile: the overlaps are in status, not only in the pods.
    OSImageStatus still = reconcile(image, blocked);
    assertThat(still.getPhase()).isEqualTo(Phase.Blocked);
    assertThat(podNames()).isEmpty();
  }

  @Test
  void newInputReplacesThePodsOfTheOldOne() throws IOException {
    OSImageStatus status = reconcile(image("quiet"), null);
    List<String> old = podNames();

    OSImage changed = image("console=ttyS0");
    OSImageStatus next = reconcile(changed, status);

    assertThat(next.getInputDigest())
        .isEqualTo(input(changed))
        .isNotEqualTo(status.getInputDigest());
    assertThat(podNames()).hasSize(2).doesNotContainAnyElementsOf(old);
    assertThat(client.configMaps().inNamespace(NS).list().getItems())
        .extracting(c -> c.getMetadata().getName())
        .containsExactly(BuildPodFactory.configMapName("edge", input(changed)));
  }

  @Test
  void podsOfAnotherImageAmongTheSecondariesAreLeftAlone() throws IOException {
    // The pod informer maps a finished pod to the images queued for a slot too, so another
    // image's pods, and a deleted image's of the same name, reach this image's reconcile.
    OSImage other = image("quiet");
    other.getMetadata().setUid("uid-edge-before");
    reconcile(other, null);
    List<String> others = podNames();

    OSImage image = image("console=ttyS0");
    Owned owned = owned(image);
    assertThat(owned.pods()).isEmpty();
    assertThat(owned.configMaps()).isEmpty();
    reconcile(image, null);

    assertThat(podNames()).hasSize(4).containsAll(others);
  }

  @Test
  void failedAttemptIsRetriedAfterItsBackoffWithANewPod() throws IOException {
    OSImage image = image("quiet");
    image.getSpec().setArchitectures(List.of(Architecture.amd64));
    OSImageStatus status = reconcile(image, null);
    Pod first = client.pods().inNamespace(NS).list().getItems().get(0);
    Pod evicted = PodOutcomeTest.killed("Evicted", "Error", 137);
    evicted.setMetadata(first.getMetadata());
    client.resource(evicted).update();

    OSImageStatus failed = reconcile(image, status);
    assertThat(failed.getArchitectures().get(0).getState()).isEqualTo(BuildState.Failed);
    assertThat(failed.getArchitectures().get(0).getNextAttemptAt())
        .isEqualTo("2026-01-01T00:00:10Z");
    assertThat(failed.getPhase()).isEqualTo(Phase.Building);

    reconciler =
        new OSImageReconciler(
            OperatorSettings.defaults("registry.example/lamina@sha256:" + "e".repeat(64)),
            client,
            Clock.fixed(NOW.plus(Duration.ofSeconds(10)), ZoneOffset.UTC),
            new FixedView());
    OSImageStatus retried = reconcile(image, failed);

    assertThat(retried.getArchitectures().get(0).getAttempts()).isEqualTo(2);
    assertThat(podNames()).containsExactly(first.getMetadata().getName() + "-2");
  }

  @Test
  void missingOutputLeavesTheImagePending() throws IOException {
    OSImage image = image("quiet");
    image.getSpec().setOutput(null);
    OSImageStatus status = reconcile(image, null);
    assertThat(status.getPhase()).isEqualTo(Phase.Pending);
    assertThat(Conditions.find(status.getConditions(), Conditions.READY).orElseThrow().getReason())
        .isEqualTo("OutputMissing");
    assertThat(podNames()).isEmpty();
  }

  @Test
  void architectureWithoutABuildSlotWaitsInTheQueue() throws IOException {
    OSImage image = image("quiet");
    freeSlots = 1;

    OSImageStatus one = reconcile(image, null);

    assertThat(one.getPhase()).isEqualTo(Phase.Building);
    assertThat(one.getArchitectures())
        .extracting(a -> a.getArchitecture() + " " + a.getState())
        .containsExactly("amd64 Pending", "arm64 Queued");
    assertThat(podNames()).hasSize(1);

    client.pods().inNamespace(NS).delete();
    freeSlots = 0;
    OSImageStatus none = reconcile(image("console=ttyS0"), null);
    assertThat(none.getPhase()).isEqualTo(Phase.Queued);
    assertThat(none.getMessage())
        .isEqualTo(
            "Waiting for a build slot for amd64, arm64: at most 4 build pods run at once in the"
                + " cluster.");
    assertThat(podNames()).isEmpty();
  }
}

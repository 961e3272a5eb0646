package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciRepository;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Whole builds: the operator in this JVM, the real scheduler placing build pods on the local node
 * agent's amd64 and arm64 Nodes, and each pod run as a real {@code java -jar lamina.jar build}
 * process pushing to a real registry.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OSImageBuildIT {
  static final Duration BUILD = Duration.ofMinutes(3);
  static final List<Architecture> BOTH = List.of(Architecture.amd64, Architecture.arm64);

  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, true);
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) {
      env.close();
    }
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
    if (o == null
        || o.getStatus() == null
        || o.getStatus().getPhase() != Phase.Ready
        || !o.getMetadata().getGeneration().equals(o.getStatus().getObservedGeneration())) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.ofNullable(o.getStatus().getDigest());
  }

  @Test
  void multiArchBuildPushesAnIndexAndRebuildsOnlyOnChange() throws Exception {
    String ns = cluster.newNamespace("build");
    env.layers(ns, "1");
    OSImage o = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0");
    o.getSpec().getOutput().setTag("latest");

    String first;
    try (PodWatch bindings = new PodWatch(client, ns)) {
      // Applied, as GitOps tools do; later applies by the same manager change it.
      client.resource(o).serverSideApply();
      await().atMost(BUILD).until(() -> Phase.Ready == phase(ns, "edge"));
      KubectlResult wait =
          cluster.kubectl(
              "wait", "--for=condition=Ready", "osimage/edge", "-n", ns, "--timeout=30s");
      assertThat(wait.exitCode()).as(wait.toString()).isZero();

      assertThat(bindings.nodeByPod).hasSize(2);
      bindings.nodeByPod.forEach(
          (pod, node) ->
              assertThat(node).isEqualTo("local-" + (pod.contains("-arm64-") ? "arm64" : "amd64")));
    }
    OSImage built = get(ns, "edge");
    first = built.getStatus().getDigest();
    OciRepository out = env.repository(ns + "/out");
    ImageIndex index = ImageIndex.parse(out.manifestBytes(first));
    assertThat(index.manifests())
        .extracting(m -> m.platform().toString())
        .containsExactlyInAnyOrder("linux/amd64", "linux/arm64");
    for (ArchitectureStatus a : built.getStatus().getArchitectures()) {
      assertThat(a.getState()).isEqualTo(BuildState.Succeeded);
      assertThat(a.getAttempts()).isEqualTo(1);
      ImageManifest m = ImageManifest.parse(out.manifestBytes(a.getManifestDigest()));
      assertThat(m.layers())
          .extracting(Descriptor::digest)
          .containsExactlyElementsOf(a.getArtifacts().stream().map(x -> x.getDigest()).toList());
      assertThat(index.manifests())
          .anySatisfy(
              d -> {
                assertThat(d.digest()).isEqualTo(a.getManifestDigest());
                assertThat(d.platform().architecture()).isEqualTo(a.getArchitecture());
              });
    }
    assertThat(out.resolveTag("latest")).map(Descriptor::digest).contains(first);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client.pods().inNamespace(ns).list().getItems().isEmpty()
                    && client
                        .configMaps()
                        .inNamespace(ns)
                        .withLabel("lamina.dev/osimage")
                        .list()
                        .getItems()
                        .isEmpty());
    assertThat(client.v1().events().inNamespace(ns).list().getItems())
        .extracting(e -> e.getReason())
        .contains("BuildStarted", "BuildSucceeded");

    try (PodWatch pods = new PodWatch(client, ns)) {
      OSImage again = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0");
      again.getSpec().getOutput().setTag("latest");
      client.resource(again).serverSideApply();
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> Phase.Ready == phase(ns, "edge"));
      assertThat(pods.created).isEmpty();

      OSImage changed = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0 quiet");
      changed.getSpec().getOutput().setTag("latest");
      client.resource(changed).serverSideApply();
      await()
          .atMost(BUILD)
          .until(() -> readyDigest(ns, "edge").filter(d -> !d.equals(first)).isPresent());
      assertThat(pods.created).hasSize(2);
    }
    String second = digest(ns, "edge");

    try (PodWatch pods = new PodWatch(client, ns)) {
      // One tag moves; moving two at different moments may rightly start a build per move.
      pushLayerImage(
          env.repository(ns + "/base"),
          "v1",
          Map.of("amd64", baseFiles("amd64", "2"), "arm64", baseFiles("arm64", "2")));
      await()
          .atMost(BUILD)
          .until(
              () ->
                  readyDigest(ns, "edge")
                      .filter(d -> !d.equals(first) && !d.equals(second))
                      .isPresent());
      assertThat(pods.created).hasSize(2);
    }
  }

  @Test
  void corruptedLayerBlobIsRetriedThenFailsWithTheReason() throws Exception {
    String ns = cluster.newNamespace("corrupt");
    env.layers(ns, "corrupt");
    Layer base = client.resources(Layer.class).inNamespace(ns).withName("base").get();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Layer l = client.resources(Layer.class).inNamespace(ns).withName("base").get();
              return l.getStatus() != null
                  && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY);
            });
    base = client.resources(Layer.class).inNamespace(ns).withName("base").get();
    OciRepository repo = env.repository(ns + "/base");
    String manifestDigest =
        base.getStatus().getPlatforms().stream()
            .filter(p -> p.getPlatform().equals("linux/amd64"))
            .findFirst()
            .orElseThrow()
            .getDigest();
    Descriptor blob = ImageManifest.parse(repo.manifestBytes(manifestDigest)).layers().get(0);
    Path file = env.registry.blobFile(blob.digest());
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(file, bytes);

    OSImage o = osImage(ns, "edge", List.of(Architecture.amd64), env.image(ns + "/out"), "quiet");
    BuildSpec b = new BuildSpec();
    b.setRetries(1);
    o.getSpec().setBuild(b);
    try (PodWatch pods = new PodWatch(client, ns)) {
      client.resource(o).create();
      await().atMost(BUILD).until(() -> Phase.Failed == phase(ns, "edge"));
      OSImage failed = get(ns, "edge");
      ArchitectureStatus a = failed.getStatus().getArchitectures().get(0);
      assertThat(a.getAttempts()).isEqualTo(2);
      assertThat(a.getState()).isEqualTo(BuildState.Failed);
      assertThat(pods.created).hasSize(2);
      var ready =
          Conditions.find(failed.getStatus().getConditions(), Conditions.READY).orElseThrow();
      assertThat(ready.getStatus()).isEqualTo("False");
      assertThat(ready.getReason()).isNotIn("Building", "BuildFailed", "BuildPodFailed");
      assertThat(ready.getMessage()).contains(blob.digest().substring(7, 19));
      // The last failed pod stays for its logs.
      assertThat(client.pods().inNamespace(ns).withName(a.getPod()).get()).isNotNull();
      assertThat(client.v1().events().inNamespace(ns).list().getItems())
          .extracting(e -> e.getReason())
          .contains("BuildFailed");
    }
  }

  @Test
  void oneArchitectureFailingLeavesNoIndexAndNoTag() throws Exception {
    String ns = cluster.newNamespace("half");
    env.layers(ns, "half");
    Map<String, Map<String, byte[]>> kernel = new LinkedHashMap<>();
    kernel.put("amd64", Map.of("kernel", utf8("KERNEL-amd64")));
    kernel.put("arm64", Map.of("boot/vmlinuz", utf8("not where the OSImage looks")));
    pushLayerImage(env.repository(ns + "/halfkernel"), "v1", kernel);
    client.resource(layer(ns, "halfkernel", env.image(ns + "/halfkernel") + ":v1")).create();
    OSImage o = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "quiet");
    o.getSpec().getKernel().setLayer("halfkernel");
    o.getSpec().getOutput().setTag("latest");
    BuildSpec b = new BuildSpec();
    b.setRetries(0);
    o.getSpec().setBuild(b);
    client.resource(o).create();

    await().atMost(BUILD).until(() -> Phase.Failed == phase(ns, "edge"));
    // amd64 may still be running when arm64 fails: wait for it to finish too, so a late push of
    // the index or a tag would be seen.
    await()
        .atMost(BUILD)
        .until(
            () ->
                get(ns, "edge").getStatus().getArchitectures().stream()
                    .noneMatch(
                        a ->
                            a.getState() == BuildState.Pending
                                || a.getState() == BuildState.Running));
    OSImage failed = get(ns, "edge");
    assertThat(failed.getStatus().getPhase()).isEqualTo(Phase.Failed);
    assertThat(failed.getStatus().getDigest()).isNull();
    assertThat(failed.getStatus().getMessage()).contains("KernelMissing");
    OciRepository out = env.repository(ns + "/out");
    assertThat(out.resolveTag("latest")).isEmpty();
    assertThat(
            out.resolveTag(
                dev.lamina.plan.InputDigest.cacheTag(failed.getStatus().getInputDigest())))
        .isEmpty();
    // No tag of any name: what a pod pushed is content addressed only. The one exception is the
    // OCI referrers tag schema (sha256-<hex> of a pushed manifest), which lists that manifest's
    // SBOM for registries without the referrers API; it names a digest, not an image.
    Path tags =
        env.registry
            .storage()
            .resolve("docker/registry/v2/repositories/" + ns + "/out/_manifests/tags");
    if (Files.exists(tags)) {
      try (var list = Files.list(tags)) {
        assertThat(list.map(t -> t.getFileName().toString()))
            .allMatch(t -> t.matches("sha256-[0-9a-f]{64}"));
      }
    }
  }

  /** LMN009's results of an OSImage's status: rule ids and targets. */
  static List<String> overlapResults(OSImage o) {
    if (o == null
        || o.getStatus() == null
        || o.getStatus().getPolicy() == null
        || o.getStatus().getPolicy().getResults() == null) {
      return List.of();
    }
    return o.getStatus().getPolicy().getResults().stream()
        .filter(r -> "LMN009".equals(r.getRule()))
        .map(r -> r.getAction() + " " + r.getTarget())
        .toList();
  }

  @Test
  void initLayersWritingOnePathStayReportedAfterPodsAreGoneAndOnACacheHit() throws Exception {
    String ns = cluster.newNamespace("overlap");
    env.layers(ns, "overlap");
    Map<String, Map<String, byte[]>> site = new LinkedHashMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      site.put(arch, Map.of("etc/os-release", utf8("NAME=site\n"), "etc/site", utf8(arch)));
    }
    pushLayerImage(env.repository(ns + "/site"), "v1", site);
    client.resource(layer(ns, "site", env.image(ns + "/site") + ":v1")).create();
    OSImage o = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "quiet");
    o.getSpec().setInit(List.of("base", "site"));
    client.resource(o).create();

    await().atMost(BUILD).until(() -> Phase.Ready == phase(ns, "edge"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.pods().inNamespace(ns).list().getItems().isEmpty());
    // A policy that selects the namespace makes the operator evaluate again, now without pods;
    // seeing it applied in status proves that evaluation happened.
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("warn-" + ns).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    spec.setRules(Map.of("LMN009", PolicyAction.Warn));
    policy.setSpec(spec);
    client.resource(policy).create();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                OSImage edge = get(ns, "edge");
                assertThat(edge.getStatus().getPolicy().getPolicies())
                    .extracting(p -> p.getName())
                    .contains("warn-" + ns);
                assertThat(overlapResults(edge)).containsExactly("Warn etc/os-release");
                assertThat(edge.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Warn);
              });
      OSImage edge = get(ns, "edge");
      assertThat(edge.getStatus().getPhase()).isEqualTo(Phase.Ready);
      assertThat(edge.getStatus().getArchitectures())
          .allSatisfy(
              a -> {
                assertThat(a.getOverlapCount()).isEqualTo(1);
                assertThat(a.getOverlaps())
                    .singleElement()
                    .satisfies(
                        x -> {
                          assertThat(x.path()).isEqualTo("etc/os-release");
                          assertThat(x.lower()).isEqualTo("base");
                          assertThat(x.upper()).isEqualTo("site");
                        });
              });

      // The same inputs under another name: the index the first build pushed is reused, and the
      // overlaps come back from its per-architecture build configs.
      try (PodWatch pods = new PodWatch(client, ns)) {
        OSImage copy = osImage(ns, "copy", BOTH, env.image(ns + "/out"), "quiet");
        copy.getSpec().setInit(List.of("base", "site"));
        client.resource(copy).create();
        await().atMost(Duration.ofSeconds(60)).until(() -> Phase.Ready == phase(ns, "copy"));
        OSImage hit = get(ns, "copy");
        assertThat(hit.getStatus().getDigest()).isEqualTo(edge.getStatus().getDigest());
        assertThat(hit.getStatus().getMessage()).contains("cache hit");
        assertThat(overlapResults(hit)).containsExactly("Warn etc/os-release");
        assertThat(pods.created).isEmpty();
      }
    } finally {
      client.resource(policy).delete();
    }
  }

  @Test
  void deniedOverlapBlocksTheImageBeforeItsIndexIsPushed() throws Exception {
    String ns = cluster.newNamespace("overlap-deny");
    env.layers(ns, "overlap-deny");
    Map<String, Map<String, byte[]>> site = new LinkedHashMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      site.put(arch, Map.of("init", utf8("#!/bin/sh\necho site\n")));
    }
    pushLayerImage(env.repository(ns + "/site"), "v1", site);
    client.resource(layer(ns, "site", env.image(ns + "/site") + ":v1")).create();
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("deny-" + ns).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    spec.setRules(Map.of("LMN009", PolicyAction.Deny));
    policy.setSpec(spec);
    client.resource(policy).create();
    try {
      OSImage o = osImage(ns, "edge", List.of(Architecture.amd64), env.image(ns + "/out"), "quiet");
      o.getSpec().setInit(List.of("base", "site"));
      o.getSpec().getOutput().setTag("latest");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                ImagePolicy p = client.resources(ImagePolicy.class).withName("deny-" + ns).get();
                return p.getStatus() != null
                    && Conditions.isTrue(p.getStatus().getConditions(), Conditions.READY);
              });
      try (PodWatch pods = new PodWatch(client, ns)) {
        client.resource(o).create();

        await().atMost(BUILD).until(() -> Phase.Blocked == phase(ns, "edge"));
        OSImage blocked = get(ns, "edge");
        assertThat(overlapResults(blocked)).containsExactly("Deny init");
        assertThat(blocked.getStatus().getDigest()).isNull();
        OciRepository out = env.repository(ns + "/out");
        assertThat(out.resolveTag("latest")).isEmpty();
        assertThat(
                out.resolveTag(
                    dev.lamina.plan.InputDigest.cacheTag(blocked.getStatus().getInputDigest())))
            .isEmpty();
        // The pod knew LMN009 denies overlaps (the plan says so) and pushed nothing at all, not
        // even an untagged manifest or a blob; and a denial is not retried.
        assertThat(env.registry.storage().resolve("docker/registry/v2/repositories/" + ns + "/out"))
            .doesNotExist();
        assertThat(blocked.getStatus().getArchitectures())
            .singleElement()
            .satisfies(a -> assertThat(a.getReason()).isEqualTo("PolicyDenied"));
        assertThat(pods.created).hasSize(1);
      }
    } finally {
      client.resource(policy).delete();
    }
  }
}

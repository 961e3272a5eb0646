package dev.lamina;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.boot.QemuBoot;
import dev.lamina.boot.TestImages;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.KubectlResult;
import dev.lamina.testing.RealCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Lamina as a user runs it, on the real nodes of {@code hack/cluster-up.sh}: the operator image
 * built and pushed with {@code hack/build-image.sh}, {@code kubectl apply -k} of deploy/ with the
 * image set by a kustomize {@code images:} entry, Layers and an OSImage for amd64 and arm64 built
 * by pods on the node of their architecture, the artifacts pulled by digest and booted under QEMU;
 * then what real kubelets do to build pods: an image that can't be pulled, an eviction, an OOM
 * kill. Skipped, with the reason printed, when the cluster is not up, unless {@code
 * LAMINA_REAL_NODES=required}. Leaves the operator installed (the cluster is the scripts' to stop);
 * its own namespaces are deleted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {
  static final String OPERATOR_NS = "lamina-system";
  static final String DEPLOYMENT = "lamina-operator";

  /**
   * The image as deploy/ writes it: an overlay's images: entry matches what the base's own entry
   * (name lamina) made of it.
   */
  static final String PRODUCT_IMAGE = "ghcr.io/lamina-dev/lamina";

  static final String RELEASE = "lamina-e2e 1";

  /** The arm64 node emulates every instruction of its builds. */
  static final Duration BUILD = Duration.ofMinutes(30);

  static final Duration OPERATOR_READY = Duration.ofMinutes(5);

  final Path repo = Path.of(System.getProperty("lamina.repoRoot")).toAbsolutePath().normalize();
  final Path work = Path.of(System.getProperty("lamina.jar")).getParent().resolve("e2e");
  OciClient oci;
  final String run =
      Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36)
          .toLowerCase(Locale.ROOT);
  final List<String> namespaces = new ArrayList<>();
  ControlPlane cluster;
  KubernetesClient client;

  /** The operator image as the nodes pull it: REGISTRY/REPO@sha256:…. */
  String image;

  @BeforeAll
  void installAsAUserWould() throws Exception {
    Optional<String> reason = RealCluster.unavailableReason();
    if (reason.isPresent()) {
      if (RealCluster.REQUIRED) {
        throw new IllegalStateException("LAMINA_REAL_NODES=required, but " + reason.get());
      }
      System.out.println("EndToEndIT skipped: " + reason.get());
      Assumptions.abort(reason.get());
    }
    cluster = RealCluster.connect(System.getProperty("lamina.kubeVersion"), repo);
    oci = OciClient.builder().build();
    client = cluster.client();
    Files.createDirectories(work);

    // 1. The image, built and pushed by the one command a user runs.
    Instant t0 = Instant.now();
    String pushed =
        lastLine(
            run(
                Duration.ofMinutes(20),
                repo.resolve("hack/build-image.sh").toString(),
                "--skip-package",
                "--push",
                RealCluster.REGISTRY_LOOPBACK + "/lamina/e2e:" + run));
    assertThat(pushed).contains("@sha256:");
    image = RealCluster.REGISTRY + "/lamina/e2e@" + pushed.substring(pushed.indexOf('@') + 1);
    log("image %s built and pushed in %d s", image, secondsSince(t0));

    // 2. deploy/ through an overlay whose images: entry names it.
    Path overlay = work.resolve("overlay");
    Files.createDirectories(overlay);
    Files.writeString(overlay.resolve("kustomization.yaml"), overlay(overlay, image), UTF_8);
    Instant t1 = Instant.now();
    kubectl("apply", "-k", overlay.toString());

    // 3. Available, and its pod Ready: its probes answer.
    awaitOperator();
    log("operator Available and Ready %d s after kubectl apply -k", secondsSince(t1));
  }

  @AfterAll
  void cleanUp() {
    if (client == null) {
      return;
    }
    for (String ns : namespaces) {
      client.namespaces().withName(ns).delete();
    }
    client.close();
  }

  @Test
  @Order(1)
  void osImageForBothArchitecturesIsBuiltOnTheirOwnNodesAndBoots() throws Exception {
    String ns = namespace("e2e");
    Path layout = work.resolve("layout-" + run);
    String layers = pushBootLayers(layout, ns);

    try (BuildPods pods = new BuildPods(client, ns)) {
      // 4. Layers and an OSImage, applied as YAML.
      Instant applied = Instant.now();
      apply(ns, layers + osImageYaml(ns, "edge", "[amd64, arm64]", "lamina.e2e=" + run, null));
      Map<String, Long> builtAfter = new ConcurrentHashMap<>();

      // 5. kubectl wait --for=condition=Ready, noting when each architecture finished.
      await()
          .atMost(BUILD)
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () -> {
                OSImage o = get(ns, "edge");
                if (o != null
                    && o.getStatus() != null
                    && o.getStatus().getArchitectures() != null) {
                  for (ArchitectureStatus a : o.getStatus().getArchitectures()) {
                    if (a.getState() == BuildState.Succeeded) {
                      builtAfter.putIfAbsent(a.getArchitecture(), secondsSince(applied));
                    }
                  }
                }
                return o != null
                    && o.getStatus() != null
                    && o.getStatus().getPhase() != null
                    && o.getStatus().getPhase() != Phase.Building
                    && o.getStatus().getPhase() != Phase.Pending;
              });
      assertThat(phase(ns, "edge"))
          .as(() -> client.getKubernetesSerialization().asJson(get(ns, "edge").getStatus()))
          .isEqualTo(Phase.Ready);
      waitReady(ns, "osimage/edge");
      log(
          "apply -> Ready %d s; amd64 built after %s s, arm64 after %s s",
          secondsSince(applied), builtAfter.get("amd64"), builtAfter.get("arm64"));
      KubectlResult get = kubectl("get", "lamina", "-A");
      log("kubectl get lamina -A\n%s", get.stdout());
      assertThat(get.stdout()).contains("edge");

      // 6. Each pod on its own node, running that node's variant of the image.
      OSImage ready = get(ns, "edge");
      for (String arch : List.of("amd64", "arm64")) {
        BuildPods.Seen seen = pods.succeeded(arch);
        assertThat(seen).as(arch + " build pod").isNotNull();
        assertThat(seen.node()).as(arch + " node").isEqualTo(nodeOf(arch));
        assertThat(seen.result().get("osArch"))
            .as("os.arch in the %s build's result", arch)
            .isEqualTo(arch.equals("amd64") ? "amd64" : "aarch64");
        assertThat(seen.image()).as(arch + " build pod image").isEqualTo(image);
      }

      // 7. The index and the artifacts, pulled by the digests in status.
      String digest = ready.getStatus().getDigest();
      OciRepository out = oci.repository(RealCluster.REGISTRY_LOOPBACK + "/" + ns + "/os");
      ImageIndex index = ImageIndex.parse(out.manifestBytes(digest));
      Path artifacts = work.resolve("artifacts-" + run);
      for (String arch : List.of("amd64", "arm64")) {
        ArchitectureStatus a =
            ready.getStatus().getArchitectures().stream()
                .filter(s -> arch.equals(s.getArchitecture()))
                .findFirst()
                .orElseThrow();
        Descriptor m = index.select(Platform.linux(arch)).orElseThrow();
        assertThat(m.digest()).isEqualTo(a.getManifestDigest());
        ImageManifest manifest = ImageManifest.parse(out.manifestBytes(m.digest()));
        Path dir = artifacts.resolve(arch);
        Files.createDirectories(dir);
        for (Descriptor blob : manifest.layers()) {
          try (InputStream in = out.openBlob(blob)) {
            Files.copy(
                in,
                dir.resolve(blob.annotations().get("org.opencontainers.image.title")),
                StandardCopyOption.REPLACE_EXISTING);
          }
        }

        // 8. Booted under QEMU.
        QemuBoot.Result boot =
            QemuBoot.boot(
                arch,
                dir.resolve("kernel"),
                dir.resolve("initrd.img"),
                Files.readString(dir.resolve("cmdline"), UTF_8),
                work.resolve("boot-" + arch + "-" + run + ".log"),
                TestImages.MARKER,
                Duration.ofSeconds(180));
        assertThat(boot.markerSeen()).as(boot.console()).isTrue();
        assertThat(boot.linesStartingWith(TestImages.MARKER))
            .containsExactly("arch=" + (arch.equals("amd64") ? "x86_64" : "aarch64"));
        assertThat(boot.linesStartingWith("LAMINA-RELEASE")).containsExactly(RELEASE);
        assertThat(boot.linesStartingWith("LAMINA-CMDLINE"))
            .singleElement()
            .asString()
            .contains("lamina.e2e=" + run);
      }
    }
  }

  @Test
  @Order(2)
  void evictedBuildPodIsRetried() throws Exception {
    String ns = namespace("e2e-evict");
    String layers = pushBootLayers(work.resolve("layout-" + run), ns);
    try (BuildPods pods = new BuildPods(client, ns)) {
      // arm64: its build runs under emulation, long enough to be evicted while it runs.
      apply(ns, layers + osImageYaml(ns, "evicted", "[arm64]", "lamina.e2e=evict-" + run, null));
      String first =
          await()
              .atMost(BUILD)
              .until(() -> pods.running("arm64"), Optional::isPresent)
              .orElseThrow();
      client.pods().inNamespace(ns).withName(first).evict();
      Instant evicted = Instant.now();

      await().atMost(BUILD).until(() -> phase(ns, "evicted") == Phase.Ready);
      ArchitectureStatus a = get(ns, "evicted").getStatus().getArchitectures().get(0);
      assertThat(a.getAttempts()).isEqualTo(2);
      assertThat(a.getPod()).isNotEqualTo(first);
      assertThat(pods.created()).contains(first, a.getPod());
      log("evicted build pod %s; attempt 2 built %d s later", first, secondsSince(evicted));
    }
  }

  @Test
  @Order(3)
  void oomKilledBuildSaysOOMKilled() throws Exception {
    String ns = namespace("e2e-oom");
    String layers = pushBootLayers(work.resolve("layout-" + run), ns);
    // 64Mi: the JVM and the page cache of one build pass it (checked in a memory cgroup here).
    apply(ns, layers + osImageYaml(ns, "oom", "[amd64]", "lamina.e2e=oom-" + run, "64Mi"));
    await().atMost(Duration.ofMinutes(10)).until(() -> phase(ns, "oom") == Phase.Failed);
    OSImage o = get(ns, "oom");
    Condition readyCondition =
        Conditions.find(o.getStatus().getConditions(), Conditions.READY).orElseThrow();
    assertThat(readyCondition.getReason()).isEqualTo("OOMKilled");
    assertThat(readyCondition.getMessage()).contains("64Mi");
    // The next pod would have the same limit: not retried.
    assertThat(o.getStatus().getArchitectures().get(0).getAttempts()).isEqualTo(1);
  }

  @Test
  @Order(4)
  void imageThatCannotBePulledFailsWithinAMinute() throws Exception {
    String ns = namespace("e2e-pull");
    String layers = pushBootLayers(work.resolve("layout-" + run), ns);
    // A digest of the operator's own repository that was never pushed: the build-pod admission
    // policy admits it (same repository), and the kubelet cannot pull it.
    String missing = image.substring(0, image.indexOf('@')) + "@sha256:" + "0".repeat(64);
    Deployment original =
        client.apps().deployments().inNamespace(OPERATOR_NS).withName(DEPLOYMENT).get();
    try {
      setBuilderImage(missing);
      awaitOperator();
      Instant applied = Instant.now();
      apply(ns, layers + osImageYaml(ns, "unpullable", "[amd64]", "lamina.e2e=pull-" + run, null));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> phase(ns, "unpullable") == Phase.Failed);
      long seconds = secondsSince(applied);
      OSImage o = get(ns, "unpullable");
      Condition readyCondition =
          Conditions.find(o.getStatus().getConditions(), Conditions.READY).orElseThrow();
      assertThat(readyCondition.getReason()).isEqualTo("ImagePullFailed");
      // The kubelet's own words name the image.
      assertThat(readyCondition.getMessage()).contains("0".repeat(64));
      assertThat(o.getStatus().getArchitectures().get(0).getAttempts()).isEqualTo(1);
      // The pod is deleted: the kubelet stops pulling.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  client
                      .pods()
                      .inNamespace(ns)
                      .withLabel(BuildPodFactory.LABEL_OSIMAGE, "unpullable")
                      .list()
                      .getItems()
                      .isEmpty());
      log("ImagePullFailed %d s after apply: %s", seconds, readyCondition.getMessage());
    } finally {
      restore(original);
    }
  }

  // --- steps -----------------------------------------------------------------------------------

  /** The overlay a user writes for this cluster: the image by digest, the plain-HTTP registry. */
  String overlay(Path dir, String image) {
    String digest = image.substring(image.indexOf('@') + 1);
    String name = image.substring(0, image.indexOf('@'));
    return """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - %s
        images:
          - name: %s
            newName: %s
            digest: %s
        patches:
          - target:
              kind: Deployment
              name: lamina-operator
            patch: |-
              - op: add
                path: /spec/template/spec/containers/0/args/-
                value: --insecure-registry=%s
              - op: add
                path: /spec/template/spec/nodeSelector
                value:
                  kubernetes.io/arch: amd64
        # deploy/'s build-pod admission policy takes the operator's image from the Deployment; an overlay
        # that changes the image repeats that copy (see deploy/base/kustomization.yaml).
        replacements:
          - source:
              kind: Deployment
              name: lamina-operator
              fieldPath: spec.template.spec.containers.[name=operator].image
            targets:
              - select:
                  kind: ValidatingAdmissionPolicy
                  name: lamina-build-pods
                fieldPaths:
                  - spec.variables.[name=builderImage].expression
                options:
                  delimiter: "'"
                  index: 1
        """
        .formatted(
            dir.relativize(repo.resolve("deploy")),
            PRODUCT_IMAGE,
            name,
            digest,
            RealCluster.REGISTRY);
  }

  void awaitOperator() {
    await("operator Deployment Available with a Ready pod")
        .atMost(OPERATOR_READY)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              Deployment d =
                  client.apps().deployments().inNamespace(OPERATOR_NS).withName(DEPLOYMENT).get();
              if (d == null
                  || d.getStatus() == null
                  || !d.getMetadata().getGeneration().equals(d.getStatus().getObservedGeneration())
                  || d.getStatus().getConditions() == null) {
                return false;
              }
              // Rolled out: every replica is an updated one and no old one is left.
              Integer replicas = d.getSpec().getReplicas();
              if (!replicas.equals(d.getStatus().getUpdatedReplicas())
                  || !replicas.equals(d.getStatus().getReplicas())) {
                return false;
              }
              boolean available =
                  d.getStatus().getConditions().stream()
                      .anyMatch(
                          c -> "Available".equals(c.getType()) && "True".equals(c.getStatus()));
              List<Pod> live =
                  client
                      .pods()
                      .inNamespace(OPERATOR_NS)
                      .withLabel("app.kubernetes.io/component", "operator")
                      .list()
                      .getItems()
                      .stream()
                      .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                      .toList();
              // Only the Lease's holder reconciles: it must be one of the updated pods, not an old
              // one still shutting down.
              io.fabric8.kubernetes.api.model.coordination.v1.Lease lease =
                  client.leases().inNamespace(OPERATOR_NS).withName("lamina-operator").get();
              String holder =
                  lease == null || lease.getSpec() == null
                      ? null
                      : lease.getSpec().getHolderIdentity();
              return available
                  && live.size() == replicas
                  && live.stream()
                      .allMatch(
                          p ->
                              p.getStatus().getContainerStatuses() != null
                                  && p.getStatus().getContainerStatuses().stream()
                                      .allMatch(ContainerStatus::getReady))
                  && live.stream().anyMatch(p -> p.getMetadata().getName().equals(holder));
            });
  }

  /** Bootable kernel, busybox and init images in the cluster's registry; their Layers' YAML. */
  String pushBootLayers(Path layout, String ns) throws IOException {
    if (!Files.exists(layout.resolve("index.json"))) {
      TestImages.writeBootImages(layout, List.of("amd64", "arm64"));
    }
    StringBuilder yaml = new StringBuilder();
    for (String tag : List.of("kernel", "busybox", "init")) {
      TestImages.copy(
          oci, "oci:" + layout, tag, RealCluster.REGISTRY_LOOPBACK + "/" + ns + "/" + tag, "1");
      yaml.append(
          """
          apiVersion: lamina.dev/v1alpha1
          kind: Layer
          metadata:
            name: %s
          spec:
            image: %s/%s/%s:1
          ---
          """
              .formatted(tag, RealCluster.REGISTRY, ns, tag));
    }
    return yaml.toString();
  }

  String osImageYaml(String ns, String name, String archs, String cmdline, String memoryLimit) {
    return """
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata:
          name: %s
        spec:
          architectures: %s
          kernel:
            layer: kernel
            cmdline: "%s"
          init: [busybox, init]
          files:
            - path: etc/lamina-release
              contents: "%s\\n"
              mode: "0644"
          output:
            repository: %s
        %s"""
        .formatted(
            name,
            archs,
            cmdline,
            RELEASE,
            RealCluster.REGISTRY + "/" + ns + "/os",
            memoryLimit == null
                ? ""
                : "  build:\n    memoryLimit: " + memoryLimit + "\n    retries: 2\n");
  }

  void setBuilderImage(String builderImage) {
    client
        .apps()
        .deployments()
        .inNamespace(OPERATOR_NS)
        .withName(DEPLOYMENT)
        .edit(
            d -> {
              Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
              List<String> args = new ArrayList<>(c.getArgs());
              args.removeIf(a -> a.startsWith("--builder-image"));
              args.add("--builder-image=" + builderImage);
              c.setArgs(args);
              if (c.getEnv() != null) {
                List<EnvVar> env = new ArrayList<>(c.getEnv());
                env.removeIf(e -> "LAMINA_BUILDER_IMAGE".equals(e.getName()));
                c.setEnv(env);
              }
              return d;
            });
  }

  void restore(Deployment original) {
    client
        .apps()
        .deployments()
        .inNamespace(OPERATOR_NS)
        .withName(DEPLOYMENT)
        .edit(
            d -> {
              d.getSpec().getTemplate().setSpec(original.getSpec().getTemplate().getSpec());
              return d;
            });
    awaitOperator();
  }

  // --- helpers ---------------------------------------------------------------------------------

  String namespace(String prefix) {
    String ns = prefix + "-" + run;
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(ns)
                .addToLabels("lamina.dev/test-namespace", "true")
                .endMetadata()
                .build())
        .create();
    namespaces.add(ns);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.serviceAccounts().inNamespace(ns).withName("default").get() != null);
    return ns;
  }

  void apply(String ns, String yaml) throws IOException {
    Path file = Files.createTempFile(work, "apply-", ".yaml");
    Files.writeString(file, yaml, UTF_8);
    kubectl("-n", ns, "apply", "-f", file.toString());
  }

  /** {@code kubectl wait --for=condition=Ready}, in slices shorter than kubectl's own timeout. */
  void waitReady(String ns, String what) {
    KubectlResult r =
        cluster.kubectl("-n", ns, "wait", "--for=condition=Ready", what, "--timeout=90s");
    assertThat(r.succeeded()).as(r.toString()).isTrue();
  }

  KubectlResult kubectl(String... args) {
    KubectlResult r = cluster.kubectl(args);
    assertThat(r.succeeded()).as(r.toString()).isTrue();
    return r;
  }

  OSImage get(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  Phase phase(String ns, String name) {
    OSImage o = get(ns, name);
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }

  static String nodeOf(String arch) {
    return arch.equals("amd64") ? RealCluster.AMD64_NODE : RealCluster.ARM64_NODE;
  }

  /** Runs a command in the repository, its output to a log in {@link #work}; returns the output. */
  String run(Duration timeout, String... command) throws Exception {
    Path log = Files.createTempFile(work, "run-", ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(repo.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, UTF_8);
    assertThat(done && p.exitValue() == 0)
        .as("%s (log %s)\n%s", String.join(" ", command), log, output)
        .isTrue();
    return output;
  }

  static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  static long secondsSince(Instant t) {
    return Duration.between(t, Instant.now()).toSeconds();
  }

  static void log(String format, Object... args) {
    System.out.println("EndToEndIT: " + String.format(format, args));
  }

  /**
   * The build pods of a namespace as they come and go: where each ran, the image its node pulled,
   * and the result in its termination message. Build pods are deleted once the index is pushed, so
   * this is where a test sees them.
   */
  static final class BuildPods implements AutoCloseable {
    /** The result as JSON: read as a map, so it is whatever the image's builder wrote. */
    record Seen(String name, String arch, String node, String image, Map<String, Object> result) {
      boolean succeeded() {
        return result != null
            && result.get("manifestDigest") != null
            && result.get("error") == null;
      }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Map<String, String> phase = new ConcurrentHashMap<>();
    private final Watch watch;

    BuildPods(KubernetesClient client, String ns) {
      watch =
          client
              .pods()
              .inNamespace(ns)
              .withLabel(BuildPodFactory.LABEL_OSIMAGE)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                      record(pod);
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
    }

    private void record(Pod pod) {
      String name = pod.getMetadata().getName();
      String arch = pod.getMetadata().getLabels().get(BuildPodFactory.LABEL_ARCH);
      Map<String, Object> result = null;
      String image = pod.getSpec().getContainers().get(0).getImage();
      if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
        for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
          if (cs.getState() != null
              && cs.getState().getTerminated() != null
              && cs.getState().getTerminated().getMessage() != null) {
            try {
              result =
                  JSON.readValue(
                      cs.getState().getTerminated().getMessage(),
                      new TypeReference<Map<String, Object>>() {});
            } catch (IOException e) {
              result = null;
            }
          }
        }
      }
      if (pod.getStatus() != null && pod.getStatus().getPhase() != null) {
        phase.put(name, pod.getStatus().getPhase());
      }
      Seen before = seen.get(name);
      seen.put(
          name,
          new Seen(
              name,
              arch,
              pod.getSpec().getNodeName() != null
                  ? pod.getSpec().getNodeName()
                  : before == null ? null : before.node(),
              image,
              result != null ? result : before == null ? null : before.result()));
    }

    Seen succeeded(String arch) {
      return seen.values().stream()
          .filter(s -> arch.equals(s.arch()) && s.succeeded())
          .findFirst()
          .orElse(null);
    }

    Optional<String> running(String arch) {
      return seen.values().stream()
          .filter(s -> arch.equals(s.arch()) && "Running".equals(phase.get(s.name())))
          .map(Seen::name)
          .findFirst();
    }

    List<String> created() {
      return List.copyOf(seen.keySet());
    }

    @Override
    public void close() {
      watch.close();
    }
  }
}

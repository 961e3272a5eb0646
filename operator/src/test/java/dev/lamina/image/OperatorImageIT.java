package dev.lamina.image;

import static dev.lamina.testing.TestLayers.Entry.dir;
import static dev.lamina.testing.TestLayers.Entry.file;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lamina.cli.VersionProvider;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.plan.BuildResult;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator image as hack/build-image.sh builds it: twice, to the same digests; then run under a
 * real container runtime (a private containerd with runc) on amd64 and, through qemu-user binfmt,
 * on arm64, as {@code lamina --version} and as a real {@code lamina build} that pulls layers from
 * and pushes its artifacts to a registry. Skipped, with the reason printed, only when containerd,
 * runc or the arm64 binfmt are missing; hack/install-deps.sh provides them.
 */
class OperatorImageIT {
  private static final PrintStream LOG = System.out;
  private static final long MAX_COMPRESSED = 90_000_000L;

  @TempDir static Path tmp;
  private static TestRegistry registry;
  private static OperatorImage.Result first;
  private static long firstMillis;

  @BeforeAll
  static void buildOnce() throws Exception {
    registry = TestRegistry.start();
    long start = System.nanoTime();
    first = OperatorImage.build(request("first", registry.host() + "/lamina/lamina:it"), LOG);
    firstMillis = (System.nanoTime() - start) / 1_000_000;
    LOG.printf(
        "OperatorImageIT: first build %s in %d ms: %s%n",
        first.indexDigest(), firstMillis, OperatorImage.describe(first.images()));
  }

  @AfterAll
  static void stopRegistry() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  /** Both builds share the package cache; each stages, links and lays out everything anew. */
  private static OperatorImage.Request request(String name, String push) throws Exception {
    Path target = Path.of(System.getProperty("lamina.jar")).getParent();
    Path work = tmp.resolve("work-" + name);
    Files.createDirectories(work);
    Path cache = target.resolve("image-work/debs");
    Files.createDirectories(cache);
    Files.createSymbolicLink(work.resolve("debs"), cache.toAbsolutePath());
    return new OperatorImage.Request(
        target.resolve("original-lamina.jar"),
        target.resolve("image-lib"),
        work,
        System.getenv("LAMINA_IMAGE_JDK_VERSION"),
        OperatorImage.ARCHITECTURES,
        push,
        tmp.resolve("layout-" + name),
        "it",
        java.util.Set.of());
  }

  @Test
  void sameSourcesGiveTheSameDigestsAndEachArchitectureFitsItsBudget() throws Exception {
    long start = System.nanoTime();
    OperatorImage.Result second = OperatorImage.build(request("second", null), LOG);
    LOG.printf(
        "OperatorImageIT: second build %s in %d ms (first %d ms)%n",
        second.indexDigest(), (System.nanoTime() - start) / 1_000_000, firstMillis);

    assertThat(second.indexDigest()).isEqualTo(first.indexDigest());
    assertThat(second.images()).isEqualTo(first.images());
    OciClient client = OciClient.create();
    OciRepository a = client.repository("oci:" + tmp.resolve("layout-first"));
    OciRepository b = client.repository("oci:" + tmp.resolve("layout-second"));
    assertThat(b.resolveTag("it").orElseThrow().digest())
        .isEqualTo(a.resolveTag("it").orElseThrow().digest())
        .isEqualTo(first.indexDigest());

    ImageIndex index = ImageIndex.parse(a.manifestBytes(first.indexDigest()));
    assertThat(index.manifests())
        .extracting(Descriptor::platform)
        .containsExactly(Platform.linux("amd64"), Platform.linux("arm64"));
    for (OperatorImage.ArchImage image : first.images()) {
      assertThat(image.compressedSize()).as(image.architecture()).isLessThan(MAX_COMPRESSED);
      JsonNode config = OperatorImage.config(a, first.indexDigest(), image.architecture());
      assertThat(config.path("architecture").asText()).isEqualTo(image.architecture());
      assertThat(config.path("created").asText()).isEqualTo("1970-01-01T00:00:00Z");
      assertThat(config.path("config").path("User").asText()).isEqualTo("65532:65532");
    }
  }

  @Test
  void imageRunsLaminaVersionAndABuildOnAmd64AndArm64UnderContainerd() throws Exception {
    String missing = PrivateContainerd.missing();
    if (missing != null) {
      LOG.println("OperatorImageIT: skipping the container runs: " + missing);
      Assumptions.abort(missing);
    }
    OciClient client = OciClient.create();
    pushLayers(client);
    Path shared = tmp.resolve("shared");
    Files.createDirectories(shared);
    // The container runs as 65532: it must be able to write its result here.
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(shared.resolve("osimage.yaml"), osImageYaml());
    String ref = registry.host() + "/lamina/lamina@" + first.indexDigest();
    OciRepository images = client.repository(registry.host() + "/lamina/lamina");

    try (PrivateContainerd ctr = PrivateContainerd.start()) {
      Map<String, String> osArch = new TreeMap<>();
      for (String arch : OperatorImage.ARCHITECTURES) {
        PrivateContainerd.Run pull =
            ctr.ctr("images", "pull", "--plain-http", "--platform", "linux/" + arch, ref);
        assertThat(pull.exit()).as(pull.stderr()).isZero();
        // ctr replaces the whole command line when given one; the kubelet appends args to the
        // entry point. So take the entry point from the image config, as a kubelet would.
        List<String> entrypoint = new ArrayList<>();
        OperatorImage.config(images, first.indexDigest(), arch)
            .path("config")
            .path("Entrypoint")
            .forEach(n -> entrypoint.add(n.asText()));

        long start = System.nanoTime();
        PrivateContainerd.Run version = run(ctr, arch, ref, shared, entrypoint, "--version");
        LOG.printf(
            "OperatorImageIT: %s lamina --version in %d ms%n",
            arch, (System.nanoTime() - start) / 1_000_000);
        assertThat(version.exit()).as(version.stderr()).isZero();
        assertThat(version.stdout().strip()).isEqualTo("lamina " + VersionProvider.version());

        start = System.nanoTime();
        PrivateContainerd.Run build =
            run(
                ctr,
                arch,
                ref,
                shared,
                entrypoint,
                "build",
                "-f",
                "/work/osimage.yaml",
                "--arch",
                arch,
                "--push",
                "--result",
                "/work/result-" + arch + ".json");
        LOG.printf(
            "OperatorImageIT: %s lamina build in %d ms%n",
            arch, (System.nanoTime() - start) / 1_000_000);
        assertThat(build.exit()).as(build.stdout() + build.stderr()).isZero();
        BuildResult result =
            BuildResult.fromJson(Files.readString(shared.resolve("result-" + arch + ".json")));
        assertThat(result.succeeded()).as(result.toJson()).isTrue();
        assertThat(result.architecture()).isEqualTo(arch);
        OciRepository out = client.repository(registry.host() + "/images/in-container");
        assertThat(out.manifestBytes(result.manifestDigest())).isNotEmpty();
        osArch.put(arch, result.osArch());
      }
      // Each run took its own variant of the index: the JVM that built says so.
      assertThat(osArch).isEqualTo(Map.of("amd64", "amd64", "arm64", "aarch64"));
    }
  }

  /**
   * Runs the image like a restricted pod: its own user (65532), a read-only root with a tmpfs on
   * /tmp, the host network (the registry listens on loopback) and {@code shared} at /work.
   */
  private static PrivateContainerd.Run run(
      PrivateContainerd ctr,
      String arch,
      String ref,
      Path shared,
      List<String> entrypoint,
      String... args)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "run",
                "--rm",
                "--net-host",
                "--read-only",
                "--platform",
                "linux/" + arch,
                "--mount",
                "type=bind,src=" + shared + ",dst=/work,options=rbind:rw",
                "--mount",
                "type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777",
                ref,
                "lamina-it-" + arch + "-" + System.nanoTime()));
    cmd.addAll(entrypoint);
    cmd.addAll(List.of(args));
    return ctr.ctr(cmd.toArray(String[]::new));
  }

  private static void pushLayers(OciClient client) throws Exception {
    Map<String, List<byte[]>> kernel = new TreeMap<>();
    Map<String, List<byte[]>> base = new TreeMap<>();
    for (String arch : OperatorImage.ARCHITECTURES) {
      kernel.put(
          arch,
          List.of(
              TestLayers.tarGz(
                  file("kernel", "KERNEL-" + arch),
                  TestLayers.Entry.file(
                      "kernel.tar",
                      TestLayers.tar(List.of(dir("lib"), dir("lib/modules"))),
                      0644))));
      base.put(
          arch, List.of(TestLayers.tarGz(dir("etc"), file("etc/motd", "built in a container"))));
    }
    TestLayers.pushImage(client.repository(registry.host() + "/layers/kernel"), "1", kernel);
    TestLayers.pushImage(client.repository(registry.host() + "/layers/base"), "1", base);
  }

  private static String osImageYaml() {
    String host = registry.host();
    return """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: %1$s/layers/kernel:1}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: base}
        spec: {image: %1$s/layers/base:1}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: in-container}
        spec:
          architectures: [amd64, arm64]
          kernel: {layer: kernel, cmdline: "console=ttyS0"}
          init: [base]
          output:
            repository: %1$s/images/in-container
        """
        .formatted(host);
  }
}

package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.seedCache;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.InputDigest;
import dev.lamina.plan.PlanFactory;
import dev.lamina.supply.Sbom;
import dev.lamina.testing.TestRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cache lookup against a real registry (Debian's docker-registry): what it reads from the index
 * the operator publishes, and from one another tool published.
 */
class OutputRegistryIT {
  static final List<Architecture> ARCHS = List.of(Architecture.amd64, Architecture.arm64);

  @Test
  void aCacheHitReadsTheIndexOnly() throws Exception {
    try (TestRegistry registry = TestRegistry.start()) {
      OciRepository out = OciClient.builder().build().repository(registry.host() + "/os/edge");
      BuildPlan plan = plan(registry.host() + "/os/edge");
      seedCache(out, plan);

      List<String> reads = newRequests(registry, 1, () -> lookup(out, plan));

      // The index embeds each manifest and names each SBOM, and each manifest embeds its build
      // config: no manifest, referrers or config requests.
      assertThat(reads)
          .hasSize(1)
          .allMatch(r -> r.startsWith("GET /v2/os/edge/manifests/") && r.endsWith(" 200"));
      OutputRegistry.CacheHit hit = lookup(out, plan);
      assertThat(hit.architectures())
          .extracting(ArchitectureStatus::getArchitecture)
          .containsExactly("amd64", "arm64");
      for (ArchitectureStatus a : hit.architectures()) {
        assertThat(a.getSbomDigest())
            .startsWith("sha256:")
            .isEqualTo(Sbom.pushedDigest(out, a.getManifestDigest()).orElseThrow());
        assertThat(a.getOverlapCount()).isZero();
        assertThat(a.getOverlaps()).isEmpty();
        assertThat(a.getArtifacts()).extracting(x -> x.getName()).containsExactly("kernel");
      }
    }
  }

  @Test
  void anotherPublishersIndexHasItsManifestsFetchedAndItsSbomsLookedUpAmongTheReferrers()
      throws Exception {
    try (TestRegistry registry = TestRegistry.start()) {
      OciRepository out = OciClient.builder().build().repository(registry.host() + "/os/edge");
      BuildPlan plan = plan(registry.host() + "/os/edge");
      seedCache(out, plan);
      OutputRegistry.CacheHit ours = lookup(out, plan);
      // Over the same manifests, as a publisher that neither embeds nor annotates would leave it.
      List<Descriptor> plain = new ArrayList<>();
      for (ArchitectureStatus a : ours.architectures()) {
        plain.add(
            new Descriptor(
                MediaTypes.OCI_MANIFEST,
                a.getManifestDigest(),
                out.manifestBytes(a.getManifestDigest()).length,
                Map.of(),
                Platform.linux(a.getArchitecture()),
                null));
      }
      out.pushManifest(
          ImageIndex.of(plain, Map.of()).toJson(),
          MediaTypes.OCI_INDEX,
          InputDigest.cacheTag(plan.inputDigest()));

      List<String> reads = newRequests(registry, 7, () -> lookup(out, plan));

      assertThat(reads.stream().filter(r -> r.contains("/manifests/sha256-")).count())
          .as("one referrers tag per architecture: %s", reads)
          .isEqualTo(2);
      OutputRegistry.CacheHit theirs = lookup(out, plan);
      for (int i = 0; i < ARCHS.size(); i++) {
        ArchitectureStatus a = ours.architectures().get(i);
        ArchitectureStatus b = theirs.architectures().get(i);
        assertThat(b.getSbomDigest()).isEqualTo(a.getSbomDigest());
        assertThat(b.getArtifacts()).usingRecursiveComparison().isEqualTo(a.getArtifacts());
        assertThat(b.getOverlapCount()).isEqualTo(a.getOverlapCount());
      }
    }
  }

  static BuildPlan plan(String repository) {
    OSImage image = OSImageReconcilerTest.image("quiet");
    image.getSpec().getOutput().setRepository(repository);
    Map<String, Layer> layers = new HashMap<>();
    image.getSpec().layerNames().forEach(n -> layers.put(n, OSImageReconcilerTest.readyLayer(n)));
    return PlanFactory.create(image, layers, OperatorSettings.DEFAULT_MAX_LIMITS);
  }

  static OutputRegistry.CacheHit lookup(OciRepository out, BuildPlan plan) throws Exception {
    return OutputRegistry.lookup(out, plan.inputDigest(), ARCHS).orElseThrow();
  }

  interface Action {
    void run() throws Exception;
  }

  /**
   * The requests the registry logged for {@code action}: at least {@code expected}, and whatever
   * more it logged within half a second after those.
   */
  static List<String> newRequests(TestRegistry registry, int expected, Action action)
      throws Exception {
    int before = registry.requests().size();
    action.run();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> registry.requests().size() >= before + expected);
    Thread.sleep(500);
    List<String> all = registry.requests();
    return all.subList(before, all.size());
  }
}

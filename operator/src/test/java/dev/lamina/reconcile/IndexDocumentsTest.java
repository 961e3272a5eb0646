package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Overlap;
import dev.lamina.oci.Descriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IndexDocumentsTest {
  static final String M1 = "sha256:" + "1".repeat(64);
  static final String M2 = "sha256:" + "2".repeat(64);

  @Test
  void manifestsAreFoundByArchitectureOfLinuxEntries() throws Exception {
    String index =
        "{\"schemaVersion\":2,\"manifests\":["
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":9,"
            + "\"digest\":\""
            + M1
            + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":9,"
            + "\"digest\":\""
            + M2
            + "\",\"platform\":{\"os\":\"windows\",\"architecture\":\"arm64\"}}]}";
    assertThat(IndexDocuments.manifestsByArchitecture(index.getBytes(StandardCharsets.UTF_8)))
        .containsOnlyKeys("amd64")
        .extractingByKey("amd64")
        .extracting(Descriptor::digest)
        .isEqualTo(M1);
  }

  @Test
  void artifactsAreNamedByTheirTitleAnnotation() throws Exception {
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"x\",\"digest\":\""
            + M1
            + "\",\"size\":2},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.lamina.kernel\",\"digest\":\""
            + M2
            + "\",\"size\":99,"
            + "\"annotations\":{\"org.opencontainers.image.title\":\"kernel\"}}]}";
    var artifacts = IndexDocuments.artifacts(manifest.getBytes(StandardCharsets.UTF_8));
    assertThat(artifacts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getName()).isEqualTo("kernel");
              assertThat(a.getDigest()).isEqualTo(M2);
              assertThat(a.getSize()).isEqualTo(99L);
            });
  }

  @Test
  void retryBackoffDoublesAndIsCapped() {
    OperatorSettings s =
        new OperatorSettings(
            Duration.ofMinutes(10), Duration.ofMinutes(2), "img", Set.of(), Duration.ofSeconds(10));
    assertThat(s.backoffAfter(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.backoffAfter(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(s.backoffAfter(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(s.backoffAfter(30)).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void buildConfigGivesOverlapsOnlyWhenItCountedThem() throws Exception {
    String counted =
        "{\"architecture\":\"amd64\",\"overlapCount\":12,\"overlaps\":["
            + "{\"path\":\"etc/motd\",\"lower\":\"base\",\"upper\":\"site\"}]}";
    var config = IndexDocuments.buildConfig(counted.getBytes(StandardCharsets.UTF_8)).orElseThrow();
    assertThat(config.overlapCount()).isEqualTo(12);
    assertThat(config.overlaps())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.path()).isEqualTo("etc/motd");
              assertThat(o.lower()).isEqualTo("base");
              assertThat(o.upper()).isEqualTo("site");
            });
    // A config from before overlaps were recorded says nothing about them: unknown, not none.
    assertThat(
            IndexDocuments.buildConfig(
                "{\"architecture\":\"amd64\"}".getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
  }

  @Test
  void overlapsInStatusAreUnknownUntilABuildReportsAndCombineArchitectures() {
    OSImageStatus status = new OSImageStatus();
    status.setInputDigest(M1);
    ArchitectureStatus amd = new ArchitectureStatus();
    ArchitectureStatus arm = new ArchitectureStatus();
    status.setArchitectures(List.of(amd, arm));
    assertThat(Overlaps.of(status, M1).listed()).isNull();

    amd.setOverlapCount(3);
    amd.setOverlaps(List.of(new Overlap("etc/motd", "base", "site")));
    arm.setOverlapCount(14);
    arm.setOverlaps(List.of(new Overlap("etc/issue", "base", "site")));
    var known = Overlaps.of(status, M1);
    assertThat(known.listed()).extracting(Overlap::path).containsExactly("etc/motd", "etc/issue");
    assertThat(known.count()).isEqualTo(14);
    // Overlaps of another input's build say nothing about this one.
    assertThat(Overlaps.of(status, M2).listed()).isNull();
  }
}

package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IndexDocumentsTest {
  static final String M1 = "sha256:" + "1".repeat(64);
  static final String M2 = "sha256:" + "2".repeat(64);

  @Test
  void manifestsAreFoundByArchitectureOfLinuxEntries() throws Exception {
    String index = "{\"schemaVersion\":2,\"manifests\":["
        + "{\"digest\":\"" + M1 + "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        + "{\"digest\":\"" + M2 + "\",\"platform\":{\"os\":\"windows\",\"architecture\":\"arm64\"}}]}";
    assertThat(IndexDocuments.manifestsByArchitecture(index.getBytes(StandardCharsets.UTF_8)))
        .containsExactly(java.util.Map.entry("amd64", M1));
  }

  @Test
  void artifactsAreNamedByTheirTitleAnnotation() throws Exception {
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"x\",\"digest\":\"" + M1 + "\",\"size\":2},"
        + "\"layers\":[{\"mediaType\":\"application/vnd.lamina.kernel\",\"digest\":\"" + M2 + "\",\"size\":99,"
        + "\"annotations\":{\"org.opencontainers.image.title\":\"kernel\"}}]}";
    var artifacts = IndexDocuments.artifacts(manifest.getBytes(StandardCharsets.UTF_8));
    assertThat(artifacts).singleElement().satisfies(a -> {
      assertThat(a.getName()).isEqualTo("kernel");
      assertThat(a.getDigest()).isEqualTo(M2);
      assertThat(a.getSize()).isEqualTo(99L);
    });
  }

  @Test
  void retryBackoffDoublesAndIsCapped() {
    OperatorSettings s = new OperatorSettings(Duration.ofMinutes(10), Duration.ofMinutes(2), "img", Set.of(), Duration.ofSeconds(10));
    assertThat(s.backoffAfter(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.backoffAfter(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(s.backoffAfter(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(s.backoffAfter(30)).isEqualTo(Duration.ofMinutes(10));
  }
}

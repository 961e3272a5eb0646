package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IndexDocumentsTest {
  static final String M1 = "sha256:" + "1".repeat(64);
  static final String M2 = "sha256:" + "2".repeat(64);

  @Test
  void indexIsTheSameBytesWhateverTheOrderOfArchitectures() throws Exception {
    var amd = new IndexDocuments.Entry(IndexDocuments.MANIFEST_MEDIA_TYPE, M1, 400, "amd64");
    var arm = new IndexDocuments.Entry(IndexDocuments.MANIFEST_MEDIA_TYPE, M2, 401, "arm64");
    byte[] a = IndexDocuments.index(List.of(amd, arm));
    byte[] b = IndexDocuments.index(List.of(arm, amd));
    assertThat(a).isEqualTo(b);
    assertThat(IndexDocuments.manifestsByArchitecture(a)).containsEntry("amd64", M1).containsEntry("arm64", M2);
    assertThat(new String(a, StandardCharsets.UTF_8))
        .startsWith("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\"");
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
    assertThat(IndexDocuments.mediaType(manifest.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(IndexDocuments.MANIFEST_MEDIA_TYPE);
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

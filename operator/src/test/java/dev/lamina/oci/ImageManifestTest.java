package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageManifestTest {
  private static final String A = "sha256:" + "a".repeat(64);
  private static final String B = "sha256:" + "b".repeat(64);

  @Test
  void manifestJsonHasFixedFieldOrderNoNullsNoWhitespace() {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put("z", "last");
    annotations.put("a", "first");
    ImageManifest manifest =
        ImageManifest.of(
            "application/vnd.lamina.os",
            new Descriptor(MediaTypes.OCI_EMPTY, A, 2),
            List.of(
                new Descriptor(
                    MediaTypes.OCTET_STREAM,
                    B,
                    7,
                    Map.of(MediaTypes.ANNOTATION_TITLE, "kernel"),
                    null,
                    null)),
            annotations);

    assertThat(new String(manifest.toJson(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.lamina.os\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\""
                + A
                + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\""
                + B
                + "\",\"size\":7,\"annotations\":{\"org.opencontainers.image.title\":\"kernel\"}}],"
                + "\"annotations\":{\"a\":\"first\",\"z\":\"last\"}}");
  }

  @Test
  void sameContentGivesSameDigestWhateverTheMapOrder() {
    Map<String, String> one = new LinkedHashMap<>();
    one.put("x", "1");
    one.put("y", "2");
    Map<String, String> other = new LinkedHashMap<>();
    other.put("y", "2");
    other.put("x", "1");
    Descriptor config = new Descriptor(MediaTypes.OCI_EMPTY, A, 2);

    assertThat(Digests.sha256(ImageManifest.of(null, config, List.of(), one).toJson()))
        .isEqualTo(Digests.sha256(ImageManifest.of(null, config, List.of(), other).toJson()));
  }

  @Test
  void embeddedConfigRoundTripsAndIsReadOnlyWhenItMatchesItsDigest() throws OciException {
    byte[] config = "{\"overlapCount\":0}".getBytes(StandardCharsets.UTF_8);
    Descriptor embedded =
        Descriptor.embedding("application/vnd.lamina.build.config.v1+json", config);
    ImageManifest manifest = ImageManifest.of(null, embedded, List.of(), Map.of());

    String json = new String(manifest.toJson(), StandardCharsets.UTF_8);
    assertThat(json)
        .contains(
            "\"size\":"
                + config.length
                + ",\"data\":\""
                + java.util.Base64.getEncoder().encodeToString(config)
                + "\"");
    Descriptor read = ImageManifest.parse(manifest.toJson()).config();
    assertThat(read).isEqualTo(embedded);
    assertThat(read.embedded()).get().isEqualTo(config);

    // Data that is not what the descriptor names is not used: the reader fetches the blob.
    Descriptor forged =
        new Descriptor(
            read.mediaType(),
            read.digest(),
            read.size(),
            Map.of(),
            null,
            null,
            java.util.Base64.getEncoder()
                .encodeToString("{\"overlapCount\":9}".getBytes(StandardCharsets.UTF_8)));
    assertThat(forged.embedded()).isEmpty();
    assertThat(
            new Descriptor(
                read.mediaType(), read.digest(), read.size(), Map.of(), null, null, "%%"))
        .extracting(Descriptor::embedded)
        .isEqualTo(java.util.Optional.empty());
    assertThat(new Descriptor(read.mediaType(), read.digest(), read.size()).embedded()).isEmpty();
  }

  @Test
  void indexRoundTripsWithPlatforms() throws OciException {
    ImageIndex index =
        ImageIndex.of(
            List.of(
                new Descriptor(
                    MediaTypes.OCI_MANIFEST,
                    A,
                    300,
                    Map.of(),
                    Platform.parse("linux/arm64/v8"),
                    null),
                new Descriptor(
                    MediaTypes.OCI_MANIFEST,
                    B,
                    301,
                    Map.of(),
                    Platform.parse("linux/amd64"),
                    null)),
            Map.of());

    byte[] json = index.toJson();

    assertThat(ImageIndex.parse(json)).isEqualTo(index);
    assertThat(new String(json, StandardCharsets.UTF_8))
        .contains("\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}");
  }

  @Test
  void readsDockerManifestsAndRejectsOtherDocuments() throws OciException {
    String docker =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.DOCKER_MANIFEST
            + "\","
            + "\"config\":{\"mediaType\":\""
            + MediaTypes.DOCKER_CONFIG
            + "\",\"size\":5,"
            + "\"digest\":\""
            + A
            + "\"},\"layers\":[{\"mediaType\":\""
            + MediaTypes.DOCKER_LAYER_GZIP
            + "\",\"size\":10,\"digest\":\""
            + B
            + "\"}]}";

    ImageManifest m = ImageManifest.parse(docker.getBytes(StandardCharsets.UTF_8));

    assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(m.layersSize()).isEqualTo(10);
    assertThatThrownBy(() -> ImageManifest.parse(ImageIndex.of(List.of(), Map.of()).toJson()))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("expected an image manifest");
    assertThatThrownBy(
            () -> ImageManifest.parse("{\"config\":{}}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("config");
    assertThatThrownBy(() -> ImageIndex.parse("not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("not valid JSON");
  }
}

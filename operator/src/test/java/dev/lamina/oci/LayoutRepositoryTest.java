package dev.lamina.oci;

import static dev.lamina.oci.TestContent.pushImage;
import static dev.lamina.oci.TestContent.read;
import static dev.lamina.oci.TestContent.utf8;
import static dev.lamina.testing.TestLayers.pushBlob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayoutRepositoryTest {
  @TempDir Path tmp;
  private OciClient client;

  @BeforeEach
  void client() throws IOException {
    client = OciClient.builder().credentials(DockerConfig.empty()).build();
  }

  /** Writes a two-platform image tagged {@code tag} into the layout at {@code dir}. */
  private Descriptor writeImage(Path dir, String tag) throws IOException {
    OciRepository layout = client.repository("oci:" + dir);
    Descriptor amd64 = pushImage(layout, Platform.linux("amd64"), utf8("amd64 rootfs"));
    Descriptor arm64 = pushImage(layout, Platform.parse("linux/arm64/v8"), utf8("arm64 rootfs!"));
    return layout.pushManifest(
        ImageIndex.of(List.of(amd64, arm64), Map.of()).toJson(), MediaTypes.OCI_INDEX, tag);
  }

  @Test
  void layoutIsASinkThatStandardToolsCanRead() throws IOException {
    Path dir = tmp.resolve("out");

    Descriptor index = writeImage(dir, "v1");

    assertThat(Files.readString(dir.resolve("oci-layout")))
        .isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
    ImageIndex top = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
    assertThat(top.manifests())
        .filteredOn(d -> "v1".equals(d.annotations().get(MediaTypes.ANNOTATION_REF_NAME)))
        .singleElement()
        .satisfies(d -> assertThat(d.digest()).isEqualTo(index.digest()));
    assertThat(dir.resolve("blobs/sha256/" + Digests.hex(index.digest()))).exists();
    try (var files = Files.list(dir.resolve("blobs/sha256"))) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void layoutIsASourceByTagAndByDigest() throws IOException {
    Path dir = tmp.resolve("src");
    Descriptor index = writeImage(dir, "v1");
    List<Platform> platforms = List.of(Platform.linux("amd64"), Platform.linux("arm64"));

    ResolvedImage byTag = client.resolve("oci:" + dir + ":v1", platforms);
    ResolvedImage byDigest = client.resolve("oci:" + dir + "@" + index.digest(), platforms);

    assertThat(byTag).isEqualTo(byDigest);
    assertThat(byTag.indexDigest()).isEqualTo(index.digest());
    assertThat(byTag.layersSize())
        .containsEntry(Platform.linux("amd64"), 12L)
        .containsEntry(Platform.linux("arm64"), 13L);
    ImageManifest arm64 =
        ImageManifest.parse(
            client
                .repository("oci:" + dir)
                .manifestBytes(byTag.manifests().get(Platform.linux("arm64")).digest()));
    assertThat(read(client.repository("oci:" + dir), arm64.layers().get(0)))
        .isEqualTo(utf8("arm64 rootfs!"));
  }

  @Test
  void sameContentWrittenTwiceGivesIdenticalLayouts() throws IOException {
    writeImage(tmp.resolve("a"), "v1");
    writeImage(tmp.resolve("b"), "v1");

    assertThat(Files.readAllBytes(tmp.resolve("a/index.json")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("b/index.json")));
  }

  @Test
  void retaggingMovesTheTag() throws IOException {
    Path dir = tmp.resolve("tags");
    OciRepository layout = client.repository("oci:" + dir);
    Descriptor first = pushImage(layout, Platform.linux("amd64"), utf8("one"));
    Descriptor second = pushImage(layout, Platform.linux("amd64"), utf8("two"));

    layout.pushManifest(layout.manifestBytes(first.digest()), MediaTypes.OCI_MANIFEST, "latest");
    layout.pushManifest(layout.manifestBytes(second.digest()), MediaTypes.OCI_MANIFEST, "latest");

    assertThat(layout.resolveTag("latest")).map(Descriptor::digest).contains(second.digest());
    assertThat(ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json"))).manifests())
        .filteredOn(d -> d.annotations().containsKey(MediaTypes.ANNOTATION_REF_NAME))
        .hasSize(1);
  }

  @Test
  void copiesFromOneLayoutToAnother() throws IOException {
    Path from = tmp.resolve("from");
    Descriptor index = writeImage(from, "v1");
    OciRepository source = client.repository("oci:" + from);
    OciRepository sink = client.repository("oci:" + tmp.resolve("to"));

    ImageIndex parsed = ImageIndex.parse(source.manifestBytes(index.digest()));
    for (Descriptor m : parsed.manifests()) {
      ImageManifest manifest = ImageManifest.parse(source.manifestBytes(m.digest()));
      for (Descriptor blob : concat(manifest.config(), manifest.layers())) {
        sink.pushBlob(blob, () -> source.openBlob(blob), source.name());
      }
      sink.pushManifest(source.manifestBytes(m.digest()), m.mediaType(), null);
    }
    Descriptor copied =
        sink.pushManifest(source.manifestBytes(index.digest()), MediaTypes.OCI_INDEX, "v1");

    assertThat(copied).isEqualTo(index);
    assertThat(
            client
                .resolve("oci:" + tmp.resolve("to") + ":v1", List.of(Platform.linux("arm64")))
                .missing())
        .isEmpty();
  }

  @Test
  void corruptedLayoutBlobFailsAndWrongContentIsNotStored() throws IOException {
    Path dir = tmp.resolve("corrupt");
    OciRepository layout = client.repository("oci:" + dir);
    Descriptor d = pushBlob(layout, utf8("original"), MediaTypes.OCTET_STREAM);
    Files.writeString(dir.resolve("blobs/sha256/" + Digests.hex(d.digest())), "tampered");

    try (InputStream in = layout.openBlob(d)) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(DigestMismatchException.class);
    }
    Descriptor claimed = TestContent.descriptor(utf8("claimed"), MediaTypes.OCTET_STREAM);
    assertThatThrownBy(
            () ->
                layout.pushBlob(
                    claimed, () -> new java.io.ByteArrayInputStream(utf8("other!!")), null))
        .isInstanceOf(DigestMismatchException.class);
    assertThat(layout.hasBlob(claimed.digest())).isFalse();
  }

  @Test
  void missingTagAndBlobAreNotFound() throws IOException {
    Path dir = tmp.resolve("empty");
    writeImage(dir, "v1");
    String reference = "oci:" + dir + ":v2";

    assertThatThrownBy(() -> client.resolve(reference, List.of(Platform.linux("amd64"))))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(reference);
    String missing = Digests.sha256(utf8("absent"));
    assertThatThrownBy(() -> client.repository("oci:" + dir).manifestBytes(missing))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(missing);
  }

  private static List<Descriptor> concat(Descriptor first, List<Descriptor> rest) {
    List<Descriptor> all = new java.util.ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all;
  }
}

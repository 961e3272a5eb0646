package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.oci.Digests;
import dev.lamina.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestImagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  private static Map<String, List<LayerTree>> sample() {
    LayerTree a =
        new LayerTree().file("bin/tool", 0755, "amd".getBytes(UTF_8)).symlink("bin/t", "tool");
    LayerTree b =
        new LayerTree().file("bin/tool", 0755, "arm".getBytes(UTF_8)).symlink("bin/t", "tool");
    LayerTree shared = new LayerTree().file("init", 0755, "#!/bin/sh\n".getBytes(UTF_8));
    return Map.of("amd64", List.of(a, shared), "arm64", List.of(b, shared));
  }

  @Test
  void sameTreesGiveByteIdenticalLayouts() throws IOException {
    Path one = work.resolve("one");
    Path two = work.resolve("two");
    String first = TestImages.writeImage(one, "t", new TreeMap<>(sample()));
    String second = TestImages.writeImage(two, "t", new TreeMap<>(sample()));

    assertThat(second).isEqualTo(first);
    assertThat(contents(two)).isEqualTo(contents(one));
  }

  @Test
  void indexNamesEachManifestsPlatformAndConfigsAgree() throws IOException {
    Path layout = work.resolve("layout");
    String digest = TestImages.writeImage(layout, "t", new TreeMap<>(sample()));

    List<JsonNode> tagged = new ArrayList<>();
    for (JsonNode entry : JSON.readTree(layout.resolve("index.json").toFile()).get("manifests")) {
      if (entry.at("/annotations").path(MediaTypes.ANNOTATION_REF_NAME).asText().equals("t")) {
        tagged.add(entry);
      }
    }
    assertThat(tagged)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.get("digest").asText()).isEqualTo(digest);
              assertThat(e.get("mediaType").asText()).isEqualTo(MediaTypes.OCI_INDEX);
            });
    JsonNode index = blob(layout, digest);
    List<String> platforms = new ArrayList<>();
    for (JsonNode entry : index.get("manifests")) {
      String arch = entry.at("/platform/architecture").asText();
      platforms.add(entry.at("/platform/os").asText() + "/" + arch);
      JsonNode manifest = blob(layout, entry.get("digest").asText());
      JsonNode config = blob(layout, manifest.at("/config/digest").asText());
      assertThat(config.get("architecture").asText()).isEqualTo(arch);
      assertThat(config.get("os").asText()).isEqualTo("linux");
      assertThat(config.at("/rootfs/diff_ids")).hasSize(2);
      assertThat(manifest.at("/layers/0/mediaType").asText()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
    }
    assertThat(platforms).containsExactly("linux/amd64", "linux/arm64");
  }

  @Test
  void tarHasImpliedParentsZeroTimesAndRootOwner() throws IOException {
    LayerTree tree =
        new LayerTree()
            .file("usr/lib/x/file", 0640, "x".getBytes(UTF_8))
            .symlink("lib", "usr/lib")
            .charDevice("dev/console", 0600, 5, 1);
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new ByteArrayInputStream(tree.toTar()))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
        assertThat(e.getModTime().getTime()).as(e.getName()).isZero();
        assertThat(e.getLongUserId()).isZero();
        assertThat(e.getLongGroupId()).isZero();
        if (e.isCharacterDevice()) {
          assertThat(e.getDevMajor()).isEqualTo(5);
          assertThat(e.getDevMinor()).isEqualTo(1);
        }
        if (e.getName().equals("usr/lib/x/file")) {
          assertThat(e.getMode() & 07777).isEqualTo(0640);
        }
      }
    }
    assertThat(names)
        .containsExactly(
            "dev/", "dev/console", "lib", "usr/", "usr/lib/", "usr/lib/x/", "usr/lib/x/file");
  }

  @Test
  void pathLeavingTheRootIsRefused() {
    assertThatThrownBy(() -> new LayerTree().file("a/../../etc/passwd", 0644, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a/../../etc/passwd");
  }

  @Test
  void layerBlobsAreGzipOfTheTar() throws IOException {
    LayerTree tree = new LayerTree().file("f", 0644, "hello".getBytes(UTF_8));
    Path layout = work.resolve("layout");
    String digest = TestImages.writeImage(layout, "t", Map.of("amd64", List.of(tree)));
    JsonNode manifest = blob(layout, blob(layout, digest).at("/manifests/0/digest").asText());
    JsonNode config = blob(layout, manifest.at("/config/digest").asText());
    byte[] gz = Files.readAllBytes(blobPath(layout, manifest.at("/layers/0/digest").asText()));
    byte[] tar = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();

    assertThat(tar).isEqualTo(tree.toTar());
    assertThat(config.at("/rootfs/diff_ids/0").asText()).isEqualTo(Digests.sha256(tar));
    assertThat(manifest.at("/layers/0/size").asLong()).isEqualTo(gz.length);
  }

  private static JsonNode blob(Path layout, String digest) throws IOException {
    return JSON.readTree(blobPath(layout, digest).toFile());
  }

  private static Path blobPath(Path layout, String digest) {
    return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  private static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        all.put(dir.relativize(f).toString(), Digests.sha256(Files.readAllBytes(f)));
      }
    }
    return all;
  }
}

package dev.lamina.oci;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Layer images written from real directory trees into OCI layouts. */
class LayerImageWriterTest {
  private static final Platform AMD64 = Platform.linux("amd64");
  private static final Platform ARM64_V8 = Platform.parse("linux/arm64/v8");

  @TempDir Path tmp;
  private OciClient client;

  @BeforeEach
  void client() throws IOException {
    client = OciClient.builder().credentials(DockerConfig.empty()).build();
  }

  /** What a test reads back from a layout: one platform's manifest, config and layer. */
  private record Read(ImageManifest manifest, JsonNode config, byte[] layerGz, byte[] tar) {}

  private LayerImageWriter writer(long epoch) {
    return new LayerImageWriter(epoch, 0, 0, tmp.resolve("scratch"));
  }

  /**
   * A tree with every kind of entry, created in the order given by {@code reversed} so that the
   * directory listing order differs between two calls.
   */
  private Path tree(String name, boolean reversed, String arch) throws IOException {
    Path root = tmp.resolve(name);
    Files.createDirectories(root);
    List<String> dirs = new ArrayList<>(List.of("bin", "etc", "etc/conf.d", "a-b"));
    if (reversed) {
      java.util.Collections.reverse(dirs);
    }
    for (String d : dirs) {
      Files.createDirectories(root.resolve(d));
    }
    Files.writeString(root.resolve("bin/busybox"), "busybox for " + arch);
    Files.setPosixFilePermissions(
        root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    Files.writeString(root.resolve("etc/conf.d/motd"), "hello\n");
    Files.setPosixFilePermissions(
        root.resolve("etc/conf.d/motd"), PosixFilePermissions.fromString("rw-------"));
    Files.createLink(root.resolve("etc/motd-link"), root.resolve("etc/conf.d/motd"));
    Files.writeString(root.resolve("a-b/x"), "x");
    Files.createDirectories(root.resolve("a"));
    return root;
  }

  private Read read(Path layout, String tag, Platform platform) throws IOException {
    OciRepository repo = client.repository("oci:" + layout);
    ResolvedImage resolved = client.resolve("oci:" + layout + ":" + tag, List.of(platform));
    assertThat(resolved.missing()).isEmpty();
    ImageManifest manifest =
        ImageManifest.parse(repo.manifestBytes(resolved.manifests().get(platform).digest()));
    JsonNode config;
    try (InputStream in = repo.openBlob(manifest.config())) {
      config = new ObjectMapper().readTree(in.readAllBytes());
    }
    byte[] gz;
    try (InputStream in = repo.openBlob(manifest.layers().get(0))) {
      gz = in.readAllBytes();
    }
    byte[] tar;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      tar = in.readAllBytes();
    }
    return new Read(manifest, config, gz, tar);
  }

  private static List<TarArchiveEntry> entries(byte[] tar) throws IOException {
    List<TarArchiveEntry> entries = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        entries.add(e);
      }
    }
    return entries;
  }

  private static void touchAll(Path root, Instant when) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        if (!Files.isSymbolicLink(p)) {
          Files.setLastModifiedTime(p, FileTime.from(when));
        }
      }
    }
  }

  @Test
  void sameTreesInDifferentDirectoriesAndTimesGiveSameDigests() throws IOException {
    Path one = tree("one", false, "amd64");
    Path two = tree("two", true, "amd64");
    touchAll(one, Instant.parse("2024-01-01T00:00:00Z"));
    touchAll(two, Instant.parse("2025-06-01T12:34:56Z"));
    Path armOne = tree("arm-one", false, "arm64");
    Path armTwo = tree("arm-two", true, "arm64");

    LayerImageWriter.Result first =
        writer(1_000_000)
            .write(
                client.repository("oci:" + tmp.resolve("out1")),
                List.of(
                    new LayerImageWriter.Source(AMD64, one),
                    new LayerImageWriter.Source(ARM64_V8, armOne)),
                "1");
    // The other order on the command line, and another layout.
    LayerImageWriter.Result second =
        writer(1_000_000)
            .write(
                client.repository("oci:" + tmp.resolve("out2")),
                List.of(
                    new LayerImageWriter.Source(ARM64_V8, armTwo),
                    new LayerImageWriter.Source(AMD64, two)),
                "1");

    assertThat(second.index().digest()).isEqualTo(first.index().digest());
    assertThat(second.images()).isEqualTo(first.images());
    assertThat(read(tmp.resolve("out2"), "1", AMD64).layerGz())
        .isEqualTo(read(tmp.resolve("out1"), "1", AMD64).layerGz());
    // Different content does change the digest: the comparison above is not vacuous.
    Files.writeString(two.resolve("etc/conf.d/motd"), "hello!\n");
    LayerImageWriter.Result changed =
        writer(1_000_000)
            .write(
                client.repository("oci:" + tmp.resolve("out3")),
                List.of(new LayerImageWriter.Source(AMD64, two)),
                "1");
    assertThat(changed.images().get(0).diffId()).isNotEqualTo(first.images().get(0).diffId());
  }

  @Test
  void tarListsParentsFirstWithModesLinksFixedOwnerAndClampedTimes() throws IOException {
    Path root = tree("root", true, "amd64");
    touchAll(root, Instant.parse("2025-01-01T00:00:00Z"));
    Instant old = Instant.parse("1990-01-01T00:00:00Z");
    Files.setLastModifiedTime(root.resolve("a-b/x"), FileTime.from(old));
    long epoch = Instant.parse("2000-01-01T00:00:00Z").getEpochSecond();

    new LayerImageWriter(epoch, 1000, 1001, tmp.resolve("scratch"))
        .write(
            client.repository("oci:" + tmp.resolve("out")),
            List.of(new LayerImageWriter.Source(AMD64, root)),
            "v1");
    List<TarArchiveEntry> entries = entries(read(tmp.resolve("out"), "v1", AMD64).tar());

    assertThat(entries)
        .extracting(TarArchiveEntry::getName)
        .containsExactly(
            "a/",
            "a-b/",
            "a-b/x",
            "bin/",
            "bin/busybox",
            "bin/sh",
            "etc/",
            "etc/conf.d/",
            "etc/conf.d/motd",
            "etc/motd-link");
    TarArchiveEntry busybox = entries.get(4);
    assertThat(busybox.getMode()).isEqualTo(0755);
    assertThat(busybox.isFile()).isTrue();
    assertThat(entries.get(5).isSymbolicLink()).isTrue();
    assertThat(entries.get(5).getLinkName()).isEqualTo("busybox");
    assertThat(entries.get(8).getMode()).isEqualTo(0600);
    assertThat(entries.get(8).getSize()).isEqualTo(6);
    assertThat(entries.get(9).isLink()).isTrue();
    assertThat(entries.get(9).getLinkName()).isEqualTo("etc/conf.d/motd");
    assertThat(entries.get(9).getSize()).isZero();
    assertThat(entries)
        .allSatisfy(
            e -> {
              assertThat(e.getLongUserId()).isEqualTo(1000);
              assertThat(e.getLongGroupId()).isEqualTo(1001);
              assertThat(e.getUserName()).isEmpty();
            });
    // Newer than the epoch is clamped to it; older keeps its own time.
    assertThat(entries)
        .filteredOn(e -> !e.getName().equals("a-b/x"))
        .allSatisfy(e -> assertThat(e.getModTime().toInstant().getEpochSecond()).isEqualTo(epoch));
    assertThat(entries.get(2).getModTime().toInstant()).isEqualTo(old);
  }

  @Test
  void configNamesPlatformAndDiffIdOfTheUncompressedTar() throws IOException {
    Path root = tree("root", false, "arm64");

    LayerImageWriter.Result result =
        writer(0)
            .write(
                client.repository("oci:" + tmp.resolve("out")),
                List.of(new LayerImageWriter.Source(ARM64_V8, root)),
                "v1");
    Read read = read(tmp.resolve("out"), "v1", ARM64_V8);

    assertThat(read.config().get("architecture").asText()).isEqualTo("arm64");
    assertThat(read.config().get("os").asText()).isEqualTo("linux");
    assertThat(read.config().get("variant").asText()).isEqualTo("v8");
    assertThat(read.config().at("/rootfs/type").asText()).isEqualTo("layers");
    assertThat(read.config().at("/rootfs/diff_ids/0").asText())
        .isEqualTo(Digests.sha256(read.tar()))
        .isEqualTo(result.images().get(0).diffId());
    assertThat(read.manifest().layers())
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
              assertThat(l.digest()).isEqualTo(Digests.sha256(read.layerGz()));
              assertThat(l.size()).isEqualTo(read.layerGz().length);
            });
    // gzip header: no FNAME flag, mtime 0.
    assertThat(Arrays.copyOfRange(read.layerGz(), 3, 8)).containsOnly(0);
    // With epoch 0, every time stamp is 0.
    assertThat(entries(read.tar())).allSatisfy(e -> assertThat(e.getModTime().getTime()).isZero());
  }

  @Test
  void indexListsEachPlatformAndIsTaggedInTheLayout() throws IOException {
    LayerImageWriter.Result result =
        writer(0)
            .write(
                client.repository("oci:" + tmp.resolve("out")),
                List.of(
                    new LayerImageWriter.Source(ARM64_V8, tree("arm", false, "arm64")),
                    new LayerImageWriter.Source(AMD64, tree("amd", false, "amd64"))),
                "2.0");

    OciRepository repo = client.repository("oci:" + tmp.resolve("out"));
    Descriptor tagged = repo.resolveTag("2.0").orElseThrow();
    assertThat(tagged.digest()).isEqualTo(result.index().digest());
    ImageIndex index = ImageIndex.parse(repo.manifestBytes(tagged.digest()));
    assertThat(index.manifests()).extracting(Descriptor::platform).containsExactly(AMD64, ARM64_V8);
    assertThat(read(tmp.resolve("out"), "2.0", Platform.linux("arm64")).tar())
        .isNotEqualTo(read(tmp.resolve("out"), "2.0", AMD64).tar());
    String busybox = new String(tarFile(read(tmp.resolve("out"), "2.0", AMD64).tar()), UTF_8);
    assertThat(busybox).isEqualTo("busybox for amd64");
  }

  private static byte[] tarFile(byte[] tar) throws IOException {
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.getName().equals("bin/busybox")) {
          return in.readAllBytes();
        }
      }
    }
    throw new AssertionError("no bin/busybox");
  }

  @Test
  void socketInOneTreeStoresNothingAtAll() throws IOException {
    Path good = tree("good", false, "amd64");
    Path bad = tree("bad", false, "arm64");
    Path socket = bad.resolve("etc/control.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));

      assertThatThrownBy(
              () ->
                  writer(0)
                      .write(
                          client.repository("oci:" + tmp.resolve("out")),
                          List.of(
                              new LayerImageWriter.Source(AMD64, good),
                              new LayerImageWriter.Source(ARM64_V8, bad)),
                          "1"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining(socket.toString())
          .hasMessageContaining("not a regular file, directory or symbolic link");
    }
    assertThat(tmp.resolve("out")).doesNotExist();
    try (var left = Files.list(tmp.resolve("scratch"))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void badInputsAreRejectedBeforeWriting() throws IOException {
    Path root = tree("root", false, "amd64");
    OciRepository repo = client.repository("oci:" + tmp.resolve("out"));

    assertThatThrownBy(
            () ->
                writer(0)
                    .write(
                        repo,
                        List.of(
                            new LayerImageWriter.Source(Platform.parse("linux/arm64"), root),
                            new LayerImageWriter.Source(ARM64_V8, root)),
                        "1"))
        .hasMessage("platform linux/arm64/v8 is given twice");
    assertThatThrownBy(
            () ->
                writer(0)
                    .write(
                        repo,
                        List.of(new LayerImageWriter.Source(AMD64, root.resolve("missing"))),
                        "1"))
        .hasMessageContaining("is not a directory");
    assertThatThrownBy(
            () -> writer(0).write(repo, List.of(new LayerImageWriter.Source(AMD64, root)), "a/b"))
        .hasMessageContaining("invalid tag");
    assertThat(tmp.resolve("out")).doesNotExist();
  }
}

package dev.lamina.assemble;

import static dev.lamina.assemble.TestTar.layer;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lamina.api.FileSpec;
import dev.lamina.api.Overlap;
import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LayerUnionTest {
  static final long EPOCH = 1_700_000_000L;

  @TempDir Path tmp;

  /** One row of a rule's table: layers applied in order and the union they must give. */
  record Case(String name, List<TestTar> layers, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** One row of the rejection table: layers and the words the error must hold. */
  record Bad(String name, List<TestTar> layers, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(String name, List<TestTar> layers, String... expected) {
    return new Case(name, layers, List.of(expected));
  }

  static Stream<Case> laterEntries() {
    return Stream.of(
        c(
            "file replaces file",
            List.of(layer().file("a", "1"), layer().file("a", "2")),
            "f 0644 a =2"),
        c(
            "later entry of one layer wins",
            List.of(layer().file("a", "1").file("a", "2")),
            "f 0644 a =2"),
        c(
            "file replaces directory and its subtree",
            List.of(
                layer().dir("d").file("d/x", "x").dir("d/s").file("d/s/y", "y"),
                layer().file("d", "f")),
            "f 0644 d =f"),
        c(
            "directory replaces file",
            List.of(layer().file("d", "f"), layer().dir("d", 0700).file("d/y", "y")),
            "d 0700 d",
            "f 0644 d/y =y"),
        c(
            "directory over directory merges children and takes the new mode",
            List.of(layer().dir("d").file("d/x", "x"), layer().dir("d", 0700).file("d/y", "y")),
            "d 0700 d",
            "f 0644 d/x =x",
            "f 0644 d/y =y"),
        c(
            "symlink replaces directory",
            List.of(layer().dir("d").file("d/x", "x"), layer().symlink("d", "e")),
            "l d -> e"),
        c(
            "directory replaces symlink instead of following it",
            List.of(layer().dir("e").symlink("d", "e"), layer().dir("d").file("d/x", "x")),
            "d 0755 d",
            "f 0644 d/x =x",
            "d 0755 e"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("laterEntries")
  void laterEntriesWin(Case c) throws IOException {
    assertThat(listing(c.layers())).containsExactlyElementsOf(c.expected());
  }

  static Stream<Case> whiteouts() {
    return Stream.of(
        c(
            "deletes a lower file",
            List.of(layer().file("a", "a").file("b", "b"), layer().whiteout("a")),
            "f 0644 b =b"),
        c(
            "deletes a lower directory with its subtree",
            List.of(
                layer().dir("d").file("d/x", "x").file("d/s/y", "y").file("k", "k"),
                layer().whiteout("d")),
            "f 0644 k =k"),
        c(
            "missing target is a no-op",
            List.of(layer().file("a", "a"), layer().whiteout("zzz").whiteout("no/such")),
            "f 0644 a =a"),
        c(
            "entry of the same layer survives",
            List.of(layer().file("a", "a"), layer().file("b", "b2").whiteout("b").whiteout("a")),
            "f 0644 b =b2"),
        c(
            "later layer can add the name again",
            List.of(layer().file("a", "1"), layer().whiteout("a"), layer().file("a", "3")),
            "f 0644 a =3"),
        c(
            "applies through a symlinked parent",
            List.of(
                layer().file("usr/lib/x", "x").file("usr/lib/y", "y").symlink("lib", "usr/lib"),
                layer().whiteout("lib/x")),
            "l lib -> usr/lib",
            "d 0755 usr",
            "d 0755 usr/lib",
            "f 0644 usr/lib/y =y"),
        c(
            "aufs metadata whiteouts are dropped",
            List.of(layer().file("a", "a").file(".wh..wh.plnk/1", "").file(".wh..wh.aufs", "")),
            "f 0644 a =a"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("whiteouts")
  void whiteoutDeletesLowerEntries(Case c) throws IOException {
    assertThat(listing(c.layers())).containsExactlyElementsOf(c.expected());
  }

  static Stream<Case> opaques() {
    return Stream.of(
        c(
            "hides lower children",
            List.of(
                layer().dir("d").file("d/x", "x").file("d/s/y", "y"),
                layer().opaque("d").file("d/new", "n")),
            "d 0755 d",
            "f 0644 d/new =n"),
        c(
            "keeps entries of its layer written before the marker",
            List.of(layer().file("d/x", "x"), layer().file("d/new", "n").opaque("d")),
            "d 0755 d",
            "f 0644 d/new =n"),
        c(
            "keeps a lower directory this layer writes into, hiding its lower children",
            List.of(layer().file("d/s/y", "y"), layer().file("d/s/z", "z").opaque("d")),
            "d 0755 d",
            "d 0755 d/s",
            "f 0644 d/s/z =z"),
        c(
            "keeps the directory itself with its mode",
            List.of(layer().dir("d", 0700).file("d/x", "x"), layer().opaque("d")),
            "d 0700 d"),
        c(
            "at the root hides everything lower",
            List.of(layer().file("a", "a").file("d/x", "x"), layer().opaque("").file("b", "b")),
            "f 0644 b =b"),
        c(
            "does not reach other directories",
            List.of(layer().file("d/x", "x").file("e/y", "y"), layer().opaque("d")),
            "d 0755 d",
            "d 0755 e",
            "f 0644 e/y =y"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("opaques")
  void opaqueWhiteoutHidesLowerEntries(Case c) throws IOException {
    assertThat(listing(c.layers())).containsExactlyElementsOf(c.expected());
  }

  static Stream<Case> hardLinks() {
    // Rendered as: path, inode group (first path of the inode), link count, content.
    return Stream.of(
        c(
            "link in the same layer shares the inode",
            List.of(layer().file("a", "hello").hardlink("b", "a")),
            "a #a x2 =hello",
            "b #a x2 =hello"),
        c(
            "link to a lower layer's file",
            List.of(layer().file("z", "lo"), layer().hardlink("a", "z")),
            "a #a x2 =lo",
            "z #a x2 =lo"),
        c(
            "target deleted later keeps the content",
            List.of(layer().file("a", "keep").hardlink("b", "a"), layer().whiteout("a")),
            "b #b x1 =keep"),
        c(
            "target replaced later keeps the old content",
            List.of(layer().file("a", "old").hardlink("b", "a"), layer().file("a", "new")),
            "a #a x1 =new",
            "b #b x1 =old"),
        c(
            "three names, one inode",
            List.of(layer().file("c", "3").hardlink("a", "c").hardlink("b", "./c")),
            "a #a x3 =3",
            "b #a x3 =3",
            "c #a x3 =3"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hardLinks")
  void hardLinksStayHardLinks(Case c) throws IOException {
    try (LayerUnion u = union(c.layers())) {
      List<LayerUnion.Entry> entries = u.entries();
      List<String> got = new ArrayList<>();
      for (LayerUnion.Entry e : entries) {
        String group =
            entries.stream().filter(o -> o.inode() == e.inode()).findFirst().orElseThrow().path();
        got.add(e.path() + " #" + group + " x" + e.nlink() + " =" + content(e.inode()));
      }
      assertThat(got).containsExactlyElementsOf(c.expected());
    }
  }

  static Stream<Case> metadata() {
    return Stream.of(
        c("symlink", List.of(layer().symlink("s", "/etc/target")), "l s -> /etc/target"),
        c(
            "char device",
            List.of(layer().device("null", TarConstants.LF_CHR, 0666, 1, 3)),
            "c 0666 null 1,3 0:0"),
        c(
            "block device",
            List.of(layer().device("sda", TarConstants.LF_BLK, 0660, 8, 0)),
            "b 0660 sda 8,0 0:0"),
        c(
            "fifo",
            List.of(layer().device("p", TarConstants.LF_FIFO, 0600, 0, 0)),
            "p 0600 p 0,0 0:0"),
        c(
            "setuid, setgid and owners",
            List.of(
                layer()
                    .file(
                        "su",
                        "s",
                        06755,
                        e -> {
                          e.setUserId(1000);
                          e.setGroupId(50);
                        })),
            "f 6755 su =s 1000:50 mtime=1000000"),
        c("sticky directory", List.of(layer().dir("tmp", 01777)), "d 1777 tmp"),
        c(
            "PAX xattrs, including non-text bytes",
            List.of(
                layer()
                    .file(
                        "ping",
                        "p",
                        0755,
                        e -> {
                          e.addPaxHeader(
                              "SCHILY.xattr.security.capability", "\u0001\u0000\u0000\u0002");
                          e.addPaxHeader("SCHILY.xattr.user.note", "hi");
                        })),
            "f 0755 ping =p 0:0 mtime=1000000 security.capability=01000002 user.note=6869"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("metadata")
  void specialFilesModesOwnersAndXattrsAreKept(Case c) throws IOException {
    try (LayerUnion u = union(c.layers())) {
      List<String> got = new ArrayList<>();
      for (LayerUnion.Entry e : u.entries()) {
        Inode in = e.inode();
        String line = render(e);
        if (in.type == TarReader.CHAR || in.type == TarReader.BLOCK || in.type == TarReader.FIFO) {
          line += " " + in.devMajor + "," + in.devMinor + " " + in.uid + ":" + in.gid;
        } else if (in.type == TarReader.REGULAR) {
          line += " " + in.uid + ":" + in.gid + " mtime=" + in.mtime;
          for (Map.Entry<String, byte[]> x : in.xattrs.entrySet()) {
            line += " " + x.getKey() + "=" + HexFormat.of().formatHex(x.getValue());
          }
        }
        got.add(line);
      }
      assertThat(got).containsExactlyElementsOf(c.expected());
    }
  }

  static Stream<Case> implied() {
    return Stream.of(
        c(
            "deep file",
            List.of(layer().file("a/b/c", "c")),
            "d 0755 a epoch",
            "d 0755 a/b epoch",
            "f 0644 a/b/c =c"),
        c(
            "later directory entry sets the implied one's metadata",
            List.of(layer().file("a/x", "x").dir("a", 0700)),
            "d 0700 a",
            "f 0644 a/x =x"),
        c(
            "implied below a symlink target that does not exist yet",
            List.of(layer().symlink("lib", "usr/lib"), layer().file("lib/x", "x")),
            "l lib -> usr/lib",
            "d 0755 usr epoch",
            "d 0755 usr/lib epoch",
            "f 0644 usr/lib/x =x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implied")
  void missingParentsAreImplied(Case c) throws IOException {
    try (LayerUnion u = union(c.layers())) {
      List<String> got = new ArrayList<>();
      for (LayerUnion.Entry e : u.entries()) {
        Inode in = e.inode();
        boolean implied =
            in.type == TarReader.DIR && in.mtime == EPOCH && in.uid == 0 && in.gid == 0;
        got.add(render(e) + (implied ? " epoch" : ""));
      }
      assertThat(got).containsExactlyElementsOf(c.expected());
    }
  }

  static Stream<Case> symlinks() {
    return Stream.of(
        c(
            "relative symlinked directory",
            List.of(layer().dir("usr/lib").symlink("lib", "usr/lib"), layer().file("lib/x", "x")),
            "l lib -> usr/lib",
            "d 0755 usr",
            "d 0755 usr/lib",
            "f 0644 usr/lib/x =x"),
        c(
            "absolute target resolves inside the root",
            List.of(layer().dir("usr/lib").symlink("lib", "/usr/lib"), layer().file("lib/x", "x")),
            "l lib -> /usr/lib",
            "d 0755 usr",
            "d 0755 usr/lib",
            "f 0644 usr/lib/x =x"),
        c(
            "chain of symlinks",
            List.of(
                layer().dir("c/d").symlink("a", "b").symlink("b", "c/d"), layer().file("a/x", "x")),
            "l a -> b",
            "l b -> c/d",
            "d 0755 c",
            "d 0755 c/d",
            "f 0644 c/d/x =x"),
        c(
            "dot-dot inside the root",
            List.of(
                layer().dir("usr/lib").symlink("usr/bin/lib", "../lib"),
                layer().file("usr/bin/lib/x", "x")),
            "d 0755 usr",
            "d 0755 usr/bin",
            "l usr/bin/lib -> ../lib",
            "d 0755 usr/lib",
            "f 0644 usr/lib/x =x"),
        c(
            "absolute target with dot-dot stays at the root",
            List.of(layer().dir("etc").symlink("e", "/etc/../etc"), layer().file("e/x", "x")),
            "l e -> /etc/../etc",
            "d 0755 etc",
            "f 0644 etc/x =x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("symlinks")
  void pathsResolveThroughSymlinkedDirectoriesInsideTheRoot(Case c) throws IOException {
    assertThat(listing(c.layers())).containsExactlyElementsOf(c.expected());
  }

  static Stream<Bad> rejections() {
    return Stream.of(
        new Bad(
            "dot-dot name",
            List.of(layer().file("../etc/passwd", "x")),
            "layer \"l1\": entry \"../etc/passwd\" contains \"..\""),
        new Bad(
            "dot-dot inside a name",
            List.of(layer().file("a/../../b", "x")),
            "layer \"l1\": entry \"a/../../b\" contains \"..\""),
        new Bad(
            "absolute name",
            List.of(layer().file("/etc/passwd", "x")),
            "layer \"l1\": entry \"/etc/passwd\" is an absolute path"),
        new Bad(
            "write through a symlink pointing outside",
            List.of(layer().symlink("esc", "../../outside"), layer().file("esc/x", "x")),
            "layer \"l2\": entry \"esc/x\" goes through a symlink that points outside the image"
                + " root"),
        new Bad(
            "whiteout through a symlink pointing outside",
            List.of(layer().symlink("esc", "../.."), layer().whiteout("esc/x")),
            "layer \"l2\": entry \"esc/.wh.x\" goes through a symlink that points outside"),
        new Bad(
            "hard link to a missing file",
            List.of(layer().hardlink("b", "nope")),
            "layer \"l1\": hard link \"b\" points to \"nope\", which is not a file in the union"),
        new Bad(
            "hard link with dot-dot target",
            List.of(layer().file("a", "a").hardlink("b", "../a")),
            "layer \"l1\": entry \"../a\" contains \"..\""),
        new Bad(
            "file below a file",
            List.of(layer().file("a", "a"), layer().file("a/b", "b")),
            "layer \"l2\": entry \"a/b\" needs \"a\" to be a directory"),
        new Bad(
            "symlink loop",
            List.of(layer().symlink("x", "y").symlink("y", "x"), layer().file("x/f", "f")),
            "layer \"l2\": entry \"x/f\" goes through a symlink loop"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejections")
  void entriesOutsideTheRootAreRejected(Bad bad) {
    assertThatThrownBy(() -> listing(bad.layers()))
        .isInstanceOf(AssemblyException.class)
        .hasMessageContaining(bad.message());
    assertThat(tmp).isEmptyDirectory();
  }

  record Blob(String name, byte[] bytes, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Blob> blobs() {
    byte[] tar = layer().file("a/b", "hello").symlink("l", "a").tar();
    byte[] gz = TestLayers.gzip(tar);
    byte[] zst = com.github.luben.zstd.Zstd.compress(tar);
    byte[] corruptGz = gz.clone();
    corruptGz[corruptGz.length / 2] ^= 0x55;
    corruptGz[corruptGz.length / 2 + 1] ^= 0x55;
    byte[] badSum = tar.clone();
    badSum[0] ^= 1;
    return Stream.of(
        new Blob("gzip", gz, null),
        new Blob("zstd", zst, null),
        new Blob("uncompressed", tar, null),
        new Blob(
            "truncated gzip",
            Arrays.copyOf(gz, gz.length - 12),
            "layer \"l1\": truncated or corrupt gzip stream"),
        new Blob("corrupt gzip", corruptGz, "layer \"l1\": truncated or corrupt gzip stream"),
        new Blob(
            "truncated zstd",
            Arrays.copyOf(zst, zst.length / 2),
            "layer \"l1\": truncated or corrupt zstd stream"),
        new Blob("truncated tar", Arrays.copyOf(tar, 700), "layer \"l1\": truncated tar archive"),
        new Blob(
            "tar without end marker",
            Arrays.copyOf(tar, 512 * 3),
            "layer \"l1\": truncated tar archive"),
        new Blob("bad header checksum", badSum, "layer \"l1\": corrupt tar header (bad checksum)"),
        new Blob("empty blob", new byte[0], "layer \"l1\": empty tar archive"),
        new Blob(
            "extension header with a negative size",
            negativeExtensionHeader(),
            "layer \"l1\": extension header of -1 bytes"));
  }

  /** A PAX header whose size field is -1 in GNU base-256, then the end of the archive. */
  static byte[] negativeExtensionHeader() {
    byte[] tar = new byte[512 * 3];
    byte[] name = "PaxHeaders/x".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, tar, 0, name.length);
    System.arraycopy("0000644\0".getBytes(StandardCharsets.US_ASCII), 0, tar, 100, 8);
    Arrays.fill(tar, 124, 136, (byte) 0xFF);
    tar[156] = 'x';
    System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, tar, 257, 6);
    System.arraycopy("00".getBytes(StandardCharsets.US_ASCII), 0, tar, 263, 2);
    Arrays.fill(tar, 148, 156, (byte) ' ');
    int sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += tar[i] & 0xFF;
    }
    byte[] chk = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(chk, 0, tar, 148, 8);
    return tar;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("blobs")
  void compressionIsDetectedByMagicAndDamageIsAnError(Blob blob) throws IOException {
    List<LayerSource> sources =
        List.of(new LayerSource("l1", List.of(TestTar.supplier(blob.bytes()))));
    if (blob.message() == null) {
      try (LayerUnion u = new LayerUnion(sources, tmp, EPOCH)) {
        assertThat(render(u)).containsExactly("d 0755 a", "f 0644 a/b =hello", "l l -> a");
      }
    } else {
      assertThatThrownBy(() -> new LayerUnion(sources, tmp, EPOCH).close())
          .isInstanceOf(AssemblyException.class)
          .hasMessageContaining(blob.message());
    }
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void gnuLongNamesAndBase256NumbersAreRead() throws IOException {
    String name = "d/" + "x".repeat(200);
    String target = "t/" + "y".repeat(150);
    TestTar gnu =
        TestTar.gnuLayer()
            .file(
                name,
                "big ids",
                0640,
                e -> {
                  e.setUserId(9_000_000_000L);
                  e.setGroupId(3_000_000);
                })
            .symlink("s", target);
    try (LayerUnion u = union(List.of(gnu))) {
      List<String> got = new ArrayList<>();
      for (LayerUnion.Entry e : u.entries()) {
        got.add(render(e) + " " + e.inode().uid + ":" + e.inode().gid);
      }
      assertThat(got)
          .containsExactly(
              "d 0755 d 0:0",
              "f 0640 " + name + " =big ids 9000000000:3000000",
              "l s -> " + target + " 0:0");
    }
  }

  @Test
  void overlapsBetweenLayersAreListedUpToFiftyAndCountedExactly() throws IOException {
    TestTar lower = layer().dir("d");
    TestTar upper = layer().dir("d");
    for (int i = 0; i < 60; i++) {
      lower.file(String.format("d/f%02d", i), "lo");
      upper.file(String.format("d/f%02d", i), "up");
    }
    TestTar sameLayerSecondBlob = layer().file("d/f00", "again");
    List<LayerSource> sources =
        List.of(
            new LayerSource("lower", List.of(TestTar.supplier(lower.gzip()))),
            new LayerSource(
                "upper",
                List.of(
                    TestTar.supplier(upper.gzip()), TestTar.supplier(sameLayerSecondBlob.tar()))));
    try (LayerUnion u = new LayerUnion(sources, tmp, EPOCH)) {
      assertThat(u.overlapCount()).isEqualTo(60);
      assertThat(u.overlaps()).hasSize(LayerUnion.MAX_LISTED_OVERLAPS);
      assertThat(u.overlaps().get(0)).isEqualTo(new Overlap("d/f00", "lower", "upper"));
      assertThat(u.overlaps()).extracting(Overlap::path).doesNotContain("d");
    }
  }

  @Test
  void generatedFilesAreAddedLastAndStampedWithSourceDateEpoch() throws IOException {
    FileSpec hosts = new FileSpec("etc/hostname", "node-1\n", "0600");
    hosts.setUid(dev.lamina.api.IdRef.of(5L));
    FileSpec dir = new FileSpec("var/empty", null, null);
    dir.setDirectory(true);
    FileSpec link = new FileSpec("lib", null, null);
    link.setSymlink("usr/lib");
    FileSpec viaLink = new FileSpec("lib/extra", "x", "0644");
    // etc and usr are implied by the layer, so they carry the epoch too; usr/lib is the layer's.
    try (LayerUnion u = union(List.of(layer().file("etc/hostname", "old").dir("usr/lib")))) {
      u.addFiles(List.of(hosts, dir, link, viaLink));
      List<String> got = new ArrayList<>();
      for (LayerUnion.Entry e : u.entries()) {
        got.add(
            render(e)
                + " "
                + e.inode().uid
                + " "
                + (e.inode().mtime == EPOCH ? "epoch" : e.inode().mtime));
      }
      assertThat(got)
          .containsExactly(
              "d 0755 etc 0 epoch",
              "f 0600 etc/hostname =node-1\n 5 epoch",
              "l lib -> usr/lib 0 epoch",
              "d 0755 usr 0 epoch",
              "d 0755 usr/lib 0 1000000",
              "f 0644 usr/lib/extra =x 0 epoch",
              "d 0755 var 0 epoch",
              "d 0755 var/empty 0 epoch");
      assertThat(u.overlapCount()).isZero();
    }
  }

  @Test
  void generatedPathOutsideTheRootIsRejected() throws IOException {
    try (LayerUnion u = union(List.of(layer().file("a", "a")))) {
      assertThatThrownBy(() -> u.addFiles(List.of(new FileSpec("../x", "x", null))))
          .hasMessage(
              "spec.files: entry \"../x\" contains \"..\"; entries must stay inside the image"
                  + " root");
    }
  }

  @Test
  void kernelBinaryIsExtractedFollowingSymlinksAndMissingOneIsNamed() throws IOException {
    LayerSource kernel =
        new LayerSource(
            "kern",
            List.of(
                TestTar.supplier(
                    layer()
                        .file("boot/vmlinuz-6", "KERNEL")
                        .symlink("kernel", "boot/vmlinuz-6")
                        .gzip())));
    Path target = tmp.resolve("out/kernel");
    Files.createDirectories(target.getParent());
    LayerUnion.extract(kernel, "kernel binary", "kernel", target, tmp);
    assertThat(target).hasContent("KERNEL");
    assertThatThrownBy(() -> LayerUnion.extract(kernel, "kernel binary", "bzImage", target, tmp))
        .hasMessage("kernel binary \"bzImage\" not found in layer \"kern\"");
  }

  @Test
  void modulesTarballIsAddedOnTopOfTheInitLayers() throws IOException {
    byte[] modules = layer().file("lib/modules/6/a.ko", "ko").file("etc/mod", "new").tar();
    LayerSource kernel =
        new LayerSource(
            "kern",
            List.of(
                TestTar.supplier(
                    layer().file("kernel", "K").file("kernel.tar", modules, 0644, e -> {}).tar())));
    try (LayerUnion k = new LayerUnion(List.of(kernel), tmp, EPOCH);
        LayerUnion u = union(List.of(layer().file("etc/mod", "old")))) {
      u.addTarball("kernel modules", () -> k.openFile("kernel modules", "kernel.tar"));
      assertThat(render(u))
          .containsExactly(
              "d 0755 etc",
              "f 0644 etc/mod =new",
              "d 0755 lib",
              "d 0755 lib/modules",
              "d 0755 lib/modules/6",
              "f 0644 lib/modules/6/a.ko =ko");
      assertThat(u.overlapCount()).isZero();
    }
  }

  @Test
  void closingDeletesTheSpool() throws IOException {
    LayerUnion u = union(List.of(layer().file("a", "a".repeat(100_000))));
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files).hasSize(1);
    }
    u.close();
    assertThat(tmp).isEmptyDirectory();
  }

  private List<String> listing(List<TestTar> layers) throws IOException {
    try (LayerUnion u = union(layers)) {
      return render(u);
    }
  }

  private LayerUnion union(List<TestTar> layers) throws IOException {
    List<LayerSource> sources = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      sources.add(new LayerSource("l" + (i + 1), List.of(TestTar.supplier(layers.get(i).gzip()))));
    }
    return new LayerUnion(sources, tmp, EPOCH);
  }

  static List<String> render(LayerUnion u) throws IOException {
    List<String> out = new ArrayList<>();
    for (LayerUnion.Entry e : u.entries()) {
      out.add(render(e));
    }
    return out;
  }

  static String render(LayerUnion.Entry e) throws IOException {
    Inode in = e.inode();
    String mode = String.format("%04o", in.mode);
    return switch (in.type) {
      case TarReader.DIR -> "d " + mode + " " + e.path();
      case TarReader.SYMLINK -> "l " + e.path() + " -> " + in.linkTarget;
      case TarReader.CHAR -> "c " + mode + " " + e.path();
      case TarReader.BLOCK -> "b " + mode + " " + e.path();
      case TarReader.FIFO -> "p " + mode + " " + e.path();
      default -> "f " + mode + " " + e.path() + " =" + content(in);
    };
  }

  static String content(Inode in) throws IOException {
    if (in.content == null) {
      return "";
    }
    try (InputStream s = in.content.open()) {
      return new String(s.readAllBytes(), UTF_8);
    }
  }
}

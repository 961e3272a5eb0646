package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lamina.api.Compression;
import dev.lamina.api.FileSpec;
import dev.lamina.oci.IoSupplier;
import dev.lamina.testing.RawTar;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layers crafted to exhaust the builder: decompression bombs, entry floods, header chains, deep and
 * long names, odd PAX values. Each must fail fast with a reason, or be handled in bounded time.
 */
class HostileLayerTest {
  /** Generous: each case takes milliseconds; before the fix some ran for minutes or ran out. */
  static final Duration FAST = Duration.ofSeconds(10);

  @TempDir Path tmp;

  // ---- item 2: bytes and entries per build ----

  @Test
  void decompressionBombStopsAtTheByteLimit() throws Exception {
    // 256 MiB of zeros is a 256 KiB gzip; the build may unpack 1 MiB.
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = RawTar.gzipTo(gz)) {
      RawTar t = RawTar.to(z);
      t.zeros("bomb.bin", 256L << 20);
      t.end();
    }
    Budget budget = new Budget(new UnionLimits(1 << 20, 1000));

    AssemblyException e = fails(budget, layer("bomb", gz.toByteArray()));

    assertThat(e.reason()).isEqualTo("LayerTooLarge");
    assertThat(e.getMessage())
        .isEqualTo(
            "layer \"bomb\" unpacks to more than 1Mi of file contents, the build's limit"
                + " (spec.build.limits.maxUncompressedBytes)");
    // Stopped at the limit (one 64 KiB buffer past it at most), not at the end of the bomb.
    assertThat(budget.bytes()).isLessThan((1 << 20) + (1 << 17));
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void contentsUpToTheLimitAreAccepted() throws Exception {
    byte[] tar = RawTar.inMemory().zeros("a", 1 << 19).zeros("b", 1 << 19).bytes();
    Budget budget = new Budget(new UnionLimits(1 << 20, 2));
    try (LayerUnion u = new LayerUnion(List.of(layer("exact", tar)), tmp, 0, 1, budget)) {
      assertThat(u.entries()).hasSize(2);
    }
    assertThat(budget.bytes()).isEqualTo(1 << 20);
  }

  @Test
  void theLimitIsPerBuildAndNamesTheLayerThatCrossesIt() throws Exception {
    byte[] half = RawTar.inMemory().zeros("lower.bin", 600 << 10).bytes();
    byte[] more = RawTar.inMemory().zeros("upper.bin", 600 << 10).bytes();
    Budget budget = new Budget(new UnionLimits(1 << 20, 1000));

    AssemblyException e = fails(budget, layer("base", half), layer("extra", more));

    assertThat(e.reason()).isEqualTo("LayerTooLarge");
    assertThat(e.getMessage()).startsWith("layer \"extra\" unpacks to more than 1Mi");
  }

  @Test
  void kernelLayerAndInitLayersShareOneBudget() throws Exception {
    Budget budget = new Budget(new UnionLimits(1 << 20, 1000));
    byte[] kernel = RawTar.inMemory().zeros("kernel", 700 << 10).bytes();
    try (LayerUnion k = new LayerUnion(List.of(layer("kernel", kernel)), tmp, 0, 1, budget)) {
      assertThat(k.isRegularFile("kernel")).isTrue();
    }
    byte[] init = RawTar.inMemory().zeros("big", 700 << 10).bytes();
    AssemblyException e = fails(budget, layer("init", init));
    assertThat(e.getMessage()).startsWith("layer \"init\" unpacks to more than 1Mi");
  }

  @Test
  void entryFloodStopsAtTheEntryLimit() throws Exception {
    RawTar t = RawTar.inMemory();
    for (int i = 0; i < 5000; i++) {
      t.file("f" + i, "");
    }
    AssemblyException e =
        fails(new Budget(new UnionLimits(1 << 20, 1000)), layer("flood", t.bytes()));
    assertThat(e.reason()).isEqualTo("LayerTooLarge");
    assertThat(e.getMessage())
        .isEqualTo(
            "layer \"flood\" has more than 1000 entries in all, the build's limit"
                + " (spec.build.limits.maxEntries); at \"f1000\"");
  }

  @Test
  void specFilesCountTowardsTheLimits() throws Exception {
    Budget budget = new Budget(new UnionLimits(10, 1000));
    try (LayerUnion u = new LayerUnion(List.of(), tmp, 0, 1, budget)) {
      AssemblyException e =
          catchThrowableOfType(
              AssemblyException.class,
              () -> u.addFiles(List.of(new FileSpec("etc/motd", "more than ten bytes", null))));
      assertThat(e.reason()).isEqualTo("LayerTooLarge");
      assertThat(e.getMessage()).startsWith("spec.files unpacks to more than 10 of file contents");
    }
  }

  // ---- item 3: headers, depth, recursion, mtime ----

  @Test
  void chainOfPaxHeadersFails() {
    RawTar t = RawTar.inMemory();
    for (int i = 0; i < 100_000; i++) {
      t.pax('x', "LAMINA.k" + i, "v".repeat(100));
    }
    byte[] tar = t.file("f", "x").bytes();
    AssemblyException e = fails(layer("chain", tar));
    assertThat(e.reason()).isEqualTo("InvalidLayer");
    assertThat(e.getMessage())
        .isEqualTo(
            "layer \"chain\": extension headers of more than 256 KiB before one entry, after"
                + " \"(start of archive)\"");
  }

  @Test
  void chainOfEmptyPaxHeadersFails() {
    RawTar t = RawTar.inMemory();
    for (int i = 0; i < 100_000; i++) {
      t.extension('x', new byte[0]);
    }
    AssemblyException e = fails(layer("empty-chain", t.file("f", "x").bytes()));
    assertThat(e.getMessage()).contains("extension headers of more than 256 KiB");
  }

  @Test
  void hugePaxGlobalHeaderFails() {
    String[] records = new String[2 * 100_000];
    for (int i = 0; i < 100_000; i++) {
      records[2 * i] = "comment" + i;
      records[2 * i + 1] = "x".repeat(90);
    }
    byte[] tar = RawTar.inMemory().pax('g', records).file("f", "x").bytes();
    AssemblyException e = fails(layer("global", tar));
    assertThat(e.reason()).isEqualTo("InvalidLayer");
    assertThat(e.getMessage()).contains("PAX global headers of more than 64 KiB");
  }

  @Test
  void manySmallPaxGlobalHeadersFail() {
    RawTar t = RawTar.inMemory();
    for (int i = 0; i < 10_000; i++) {
      t.pax('g', "LAMINA.g" + i, "v").file("f" + i, "x");
    }
    AssemblyException e = fails(layer("globals", t.bytes()));
    assertThat(e.getMessage()).contains("PAX global headers of more than 64 KiB");
  }

  @Test
  void hundredThousandLevelPathFailsNamingTheEntry() {
    String deep = "d/".repeat(100_000) + "f";
    byte[] tar = RawTar.inMemory().pax('x', "path", deep).file("f", "x").bytes();
    AssemblyException e = fails(layer("deep", tar));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage())
        .startsWith("layer \"deep\": entry \"d/d/d/")
        .endsWith("has a name of 200001 bytes; the kernel unpacks at most 4095");
  }

  @Test
  void veryLongSymlinkTargetFails() {
    byte[] tar =
        RawTar.inMemory().pax('x', "linkpath", "t/".repeat(60_000)).symlink("link", "").bytes();
    AssemblyException e = fails(layer("longlink", tar));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage())
        .isEqualTo(
            "layer \"longlink\": entry \"link\" has a link target of 120000 bytes; the kernel"
                + " allows at most 4095");
  }

  @Test
  void gnuLongLinkTargetFails() {
    byte[] tar = RawTar.inMemory().gnuLong('K', "t".repeat(200_000)).symlink("link", "").bytes();
    AssemblyException e = fails(layer("gnulink", tar));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage()).contains("link target of 200000 bytes");
  }

  @Test
  void nestedOpaqueWhiteoutsAreHandledWithoutRecursion() throws Exception {
    // As deep as PATH_MAX lets a tree go (2046 levels), an opaque whiteout at every level.
    RawTar lower = RawTar.inMemory();
    RawTar upper = RawTar.inMemory();
    StringBuilder path = new StringBuilder();
    int levels = 0;
    while (path.length() + 2 + "/.wh..wh..opq".length() <= TarReader.MAX_NAME) {
      path.append(path.length() == 0 ? "a" : "/a");
      lower.pax('x', "path", path + "/old").file("x", "old");
      upper.pax('x', "path", path + "/.wh..wh..opq").file("x", "");
      levels++;
    }
    upper.pax('x', "path", path + "/new").file("x", "new");
    List<LayerSource> layers =
        List.of(layer("lower", lower.bytes()), layer("upper", upper.bytes()));
    assertThat(levels).isGreaterThan(2000);
    assertTimeoutPreemptively(
        FAST,
        () -> {
          try (LayerUnion u = new LayerUnion(layers, tmp, 0, 2, budget())) {
            List<String> files = new ArrayList<>();
            for (LayerUnion.Entry e : u.entries()) {
              if (e.inode().type == TarReader.REGULAR) {
                files.add(e.path());
              }
            }
            assertThat(files).containsExactly(path + "/new");
          }
        });
  }

  @Test
  void manyOpaqueWhiteoutsInOneLayerCostLittle() {
    RawTar lower = RawTar.inMemory();
    RawTar upper = RawTar.inMemory();
    for (int i = 0; i < 20_000; i++) {
      lower.file("d/f" + i, "x");
      upper.file("d/g" + i, "y").file("d/.wh..wh..opq", "");
    }
    List<LayerSource> layers =
        List.of(layer("lower", lower.bytes()), layer("upper", upper.bytes()));
    assertTimeoutPreemptively(
        FAST,
        () -> {
          try (LayerUnion u = new LayerUnion(layers, tmp, 0, 2, budget())) {
            assertThat(u.entries()).hasSize(20_001); // d and its 20,000 g files
          }
        });
  }

  @Test
  void entriesAfterTheirDirectoryWasReplacedFollowTheNewTree() throws Exception {
    byte[] lower = RawTar.inMemory().dir("x").dir("x/y").file("x/y/f1", "1").bytes();
    byte[] upper =
        RawTar.inMemory()
            .file("x/y/.wh.f1", "")
            .file("x/.wh.y", "") // y is now empty and lower: it goes
            .file("x/y/new", "n") // a new, implied y
            .dir("d")
            .file("d/a", "a")
            .symlink("d", "e") // replaces the directory d of this same layer
            .file("d/b", "b") // through the symlink: e/b
            .bytes();
    try (LayerUnion u =
        new LayerUnion(
            List.of(layer("lower", lower), layer("upper", upper)), tmp, 0, 1, budget())) {
      assertThat(u.entries())
          .extracting(e -> e.inode().type + " " + e.path())
          .containsExactly("2 d", "5 e", "0 e/b", "5 x", "5 x/y", "0 x/y/new");
    }
  }

  static Stream<String> badMtimes() {
    return Stream.of(
        "1e999999", "1e99999999", "9".repeat(200_000), "1.5e3", "0x10", "--1", "1.2.3", "+1");
  }

  @ParameterizedTest
  @MethodSource("badMtimes")
  void oddPaxMtimeFailsFast(String mtime) {
    byte[] tar = RawTar.inMemory().pax('x', "mtime", mtime).file("f", "x").bytes();
    AssemblyException e = assertTimeoutPreemptively(FAST, () -> fails(layer("mtime", tar)));
    assertThat(e.reason()).isEqualTo("InvalidLayer");
    assertThat(e.getMessage()).startsWith("layer \"mtime\": bad PAX mtime \"");
    assertThat(e.getMessage().length()).isLessThan(200);
  }

  @Test
  void fractionalPaxMtimesRoundDown() throws Exception {
    byte[] tar =
        RawTar.inMemory()
            .pax('x', "mtime", "1700000000.987654321")
            .file("a", "x")
            .pax('x', "mtime", "-1.5")
            .file("b", "x")
            .bytes();
    try (LayerUnion u = new LayerUnion(List.of(layer("t", tar)), tmp, 0, 1, budget())) {
      assertThat(u.entries()).extracting(e -> e.inode().mtime).containsExactly(1700000000L, -2L);
    }
  }

  // ---- item 7: names the kernel can't unpack ----

  @Test
  void pathOfPathMaxFailsAndOneByteLessIsUnpackable() throws Exception {
    String ok = "d/" + "n".repeat(TarReader.MAX_NAME - 2);
    String tooLong = "e/" + "n".repeat(TarReader.MAX_NAME - 1);
    AssemblyException e =
        fails(layer("long", RawTar.inMemory().pax('x', "path", tooLong).file("x", "x").bytes()));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage())
        .contains("has a name of 4096 bytes; the kernel unpacks at most 4095");

    byte[] good = RawTar.inMemory().pax('x', "path", ok).file("x", "fits").bytes();
    try (LayerUnion u = new LayerUnion(List.of(layer("fits", good)), tmp, 0, 1, budget())) {
      ByteArrayOutputStream initrd = new ByteArrayOutputStream();
      new InitrdWriter(Compression.none).write(u, initrd);
      try (CpioArchiveInputStream in =
          new CpioArchiveInputStream(new ByteArrayInputStream(initrd.toByteArray()))) {
        List<String> names = new ArrayList<>();
        for (CpioArchiveEntry c = in.getNextCPIOEntry(); c != null; c = in.getNextCPIOEntry()) {
          names.add(c.getName());
        }
        assertThat(names).contains(ok);
        // The kernel's limit: namesize, NUL included, at most PATH_MAX.
        assertThat(names).allSatisfy(n -> assertThat(n.length() + 1).isLessThanOrEqualTo(4096));
      }
    }
  }

  @Test
  void tenThousandNestedDirectoriesFailAtPathMax() {
    RawTar t = RawTar.inMemory();
    StringBuilder path = new StringBuilder("d");
    for (int i = 0; i < 10_000; i++) {
      t.pax('x', "path", path.toString()).dir("x");
      path.append("/d");
    }
    AssemblyException e = fails(layer("nested", t.bytes()));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage()).contains("has a name of 4097 bytes");
  }

  @Test
  void pathMadeLongThroughASymlinkFailsNamingTheEntry() {
    String deep = "d/".repeat(1990) + "d"; // 3981 bytes
    // s -> deep: an entry "s/nnn…" lands at a path of 3981 + 1 + 200 bytes.
    byte[] fixed =
        RawTar.inMemory()
            .pax('x', "path", deep)
            .dir("x")
            .pax('x', "linkpath", deep)
            .symlink("s", "")
            .pax('x', "path", "s/" + "n".repeat(200))
            .file("x", "x")
            .bytes();
    AssemblyException e = fails(layer("via-symlink", fixed));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage())
        .startsWith("layer \"via-symlink\": entry \"s/nnn")
        .endsWith("makes a path of 4182 bytes in the image; the kernel unpacks at most 4095");
  }

  @Test
  void specFilePathOfPathMaxFails() throws Exception {
    try (LayerUnion u = new LayerUnion(List.of(), tmp, 0, 1, budget())) {
      AssemblyException e =
          catchThrowableOfType(
              AssemblyException.class,
              () -> u.addFiles(List.of(new FileSpec("x".repeat(4096), "x", null))));
      assertThat(e.reason()).isEqualTo("InvalidEntry");
      assertThat(e.getMessage()).startsWith("spec.files: entry \"xxx");
    }
  }

  @Test
  void nulInPaxPathFailsNamingTheEntry() {
    byte[] tar = RawTar.inMemory().pax('x', "path", "etc/passwd\0x").file("x", "evil").bytes();
    AssemblyException e = fails(layer("nul", tar));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage())
        .isEqualTo(
            "layer \"nul\": PAX path \"etc/passwd\\0x\" holds a NUL byte, after \"(start of"
                + " archive)\"");
  }

  @Test
  void nulInPaxLinkpathFails() {
    byte[] tar = RawTar.inMemory().pax('x', "linkpath", "etc/shadow\0y").symlink("l", "").bytes();
    AssemblyException e = fails(layer("nul-link", tar));
    assertThat(e.reason()).isEqualTo("InvalidEntry");
    assertThat(e.getMessage()).contains("PAX linkpath \"etc/shadow\\0y\" holds a NUL byte");
  }

  private AssemblyException fails(LayerSource... layers) {
    return fails(budget(), layers);
  }

  private AssemblyException fails(Budget budget, LayerSource... layers) {
    AssemblyException e =
        catchThrowableOfType(
            AssemblyException.class,
            () -> new LayerUnion(List.of(layers), tmp, 0, 1, budget).close());
    assertThat(e).as("the union was accepted").isNotNull();
    assertThat(e.getMessage()).doesNotContain("\n");
    return e;
  }

  private static Budget budget() {
    return new Budget(UnionLimits.DEFAULTS);
  }

  private static LayerSource layer(String name, byte[] blob) {
    IoSupplier<InputStream> s = () -> new ByteArrayInputStream(blob);
    return new LayerSource(name, List.of(s));
  }

  static String latin1(byte[] b) {
    return new String(b, ISO_8859_1);
  }

  static long size(Path p) throws IOException {
    return Files.size(p);
  }
}

package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.IoSupplier;
import dev.lamina.testing.TarBytes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The fuzz targets' shared rules and their seed corpus. The seeds are committed under {@code
 * src/test/resources/dev/lamina/assemble/<Test>Inputs/<method>/}, where Jazzer replays them in
 * every test run; {@code mvn -pl operator test -Dtest=FuzzSeeds -Dlamina.writeFuzzSeeds=true}
 * writes them again (the bytes are reproducible).
 */
class FuzzSeeds {
  /** Separates the blobs of one layer in a fuzz input: "blob1 SEP blob2 SEP blob3". */
  static final byte[] BLOB_SEPARATOR = "\n--lamina-blob--\n".getBytes(ISO_8859_1);

  private static final int MAX_BLOBS = 3;
  private static Path tempDir;

  /** What every refusal must carry: a message a user can read. */
  static void assertReason(IOException e) {
    assertThat(e.getMessage()).as("reason of %s", e.getClass().getName()).isNotBlank();
  }

  static List<byte[]> split(byte[] input) {
    List<byte[]> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i + BLOB_SEPARATOR.length <= input.length && parts.size() < MAX_BLOBS - 1; ) {
      if (java.util.Arrays.equals(
          input, i, i + BLOB_SEPARATOR.length, BLOB_SEPARATOR, 0, BLOB_SEPARATOR.length)) {
        parts.add(java.util.Arrays.copyOfRange(input, start, i));
        i += BLOB_SEPARATOR.length;
        start = i;
      } else {
        i++;
      }
    }
    parts.add(java.util.Arrays.copyOfRange(input, start, input.length));
    return parts;
  }

  static List<IoSupplier<InputStream>> suppliers(List<byte[]> blobs) {
    List<IoSupplier<InputStream>> result = new ArrayList<>();
    for (byte[] b : blobs) {
      result.add(() -> new ByteArrayInputStream(b));
    }
    return result;
  }

  /** One directory per JVM for the unions' spools; each union removes its own. */
  static synchronized Path tempDir() throws IOException {
    if (tempDir == null) {
      tempDir = Files.createTempDirectory("lamina-fuzz-");
      tempDir.toFile().deleteOnExit();
    }
    return tempDir;
  }

  static byte[] join(byte[]... blobs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < blobs.length; i++) {
      if (i > 0) {
        out.writeBytes(BLOB_SEPARATOR);
      }
      out.writeBytes(blobs[i]);
    }
    return out.toByteArray();
  }

  /** Small archives of every shape the reader knows: the fuzzer starts from these. */
  static Map<String, byte[]> tars() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put(
        "posix-every-type",
        TestTar.layer()
            .dir("bin")
            .file("bin/busybox", "BUSYBOX".getBytes(UTF_8), 04755, e -> e.setUserId(0))
            .hardlink("bin/sh", "bin/busybox")
            .symlink("bin/ls", "busybox")
            .device("dev/console", TarConstants.LF_CHR, 0600, 5, 1)
            .device("dev/sda", TarConstants.LF_BLK, 0660, 8, 0)
            .device("run/fifo", TarConstants.LF_FIFO, 0644, 0, 0)
            .file("etc/motd", "hello\n")
            .tar());
    seeds.put(
        "posix-long-names-and-xattrs",
        TestTar.layer()
            .file(
                "usr/share/" + "long-directory-name/".repeat(8) + "file",
                "x".getBytes(UTF_8),
                0644,
                e -> {
                  e.addPaxHeader("SCHILY.xattr.security.capability", "\u0001\u0000\u0000\u0002");
                  e.setUserId(70_000_000);
                })
            .symlink("link", "target/" + "t".repeat(150))
            .tar());
    seeds.put(
        "gnu-long-names-and-base256",
        TestTar.gnuLayer()
            .file(
                "opt/" + "n".repeat(200),
                "gnu".getBytes(UTF_8),
                0644,
                e -> e.setUserId(010_000_000_000L))
            .symlink("opt/l", "x".repeat(120))
            .tar());
    seeds.put(
        "whiteouts",
        TestTar.layer().dir("a").file("a/b", "1").opaque("a").whiteout("a/c").file("d", "2").tar());
    seeds.put(
        "pax-global-and-records",
        TarBytes.of(
            t ->
                t.pax('g', TarBytes.kv("mtime", "1700000000.5"), TarBytes.kv("uid", "7"))
                    .pax(
                        'x',
                        TarBytes.kv("path", "etc/from-pax"),
                        TarBytes.kv("size", "3"),
                        TarBytes.kv("mtime", "-1.25"))
                    .header("ignored", '0', 3)
                    .raw("abc".getBytes(UTF_8))
                    .pad(3)
                    .pax('x', TarBytes.kv("linkpath", "etc/from-pax"))
                    .header("etc/link", '2', 0)));
    seeds.put("empty-archive", TarBytes.of(t -> {}));
    // Found by fuzzing: a record length past the end of its header read out of bounds.
    seeds.put(
        "regression-pax-record-past-header",
        TarBytes.of(
            t ->
                t.header("PaxHeaders/x", 'x', 7)
                    .raw("20 abc\n".getBytes(UTF_8))
                    .pad(7)
                    .file("etc/x", "x")));
    return seeds;
  }

  /** Layers as blobs: each compression, and several blobs whose changes stack. */
  static Map<String, byte[]> layers() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    Map<String, byte[]> tars = tars();
    seeds.put("gzip", TestTar.layer().dir("etc").file("etc/hostname", "lamina\n").gzip());
    seeds.put("zstd", TestTar.layer().dir("usr").symlink("bin", "usr/bin").zstd());
    for (String name :
        List.of("posix-every-type", "posix-long-names-and-xattrs", "pax-global-and-records")) {
      seeds.put("plain-" + name, tars.get(name));
    }
    seeds.put(
        "three-blobs-whiteouts",
        join(
            TestTar.layer().dir("d").file("d/x", "x").dir("d/s").file("d/s/y", "y").gzip(),
            TestTar.layer().opaque("d").file("d/z", "z").zstd(),
            TestTar.layer().whiteout("d/z").hardlink("h", "d/x").tar()));
    seeds.put(
        "symlinked-parents",
        join(
            TestTar.layer().dir("usr/lib").symlink("lib", "usr/lib").gzip(),
            TestTar.layer().file("lib/libc.so", "libc").gzip()));
    return seeds;
  }

  @Test
  void writeSeeds() throws IOException {
    Assumptions.assumeTrue(
        Boolean.getBoolean("lamina.writeFuzzSeeds"), "-Dlamina.writeFuzzSeeds=true writes them");
    Path resources = Path.of("src/test/resources/dev/lamina/assemble");
    write(resources.resolve("TarReaderFuzzTestInputs/readsEveryArchiveOrSaysWhy"), tars());
    write(resources.resolve("LayerUnionFuzzTestInputs/unionsEveryLayerOrSaysWhy"), layers());
    write(
        resources.resolve("InitrdWriterFuzzTestInputs/writesEveryUnionAsReadableArchives"),
        layers());
  }

  static void write(Path dir, Map<String, byte[]> seeds) {
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
        Files.write(dir.resolve(e.getKey()), e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

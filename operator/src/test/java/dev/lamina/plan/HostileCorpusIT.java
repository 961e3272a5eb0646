package dev.lamina.plan;

import static dev.lamina.testing.TestLayers.Entry.file;
import static dev.lamina.testing.TestLayers.Entry.symlink;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.files.Trees;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.TarBytes;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile inputs to {@code lamina build}, generated at test time (issue 8): crafted layers in OCI
 * image layouts on disk and bad YAML, each built by the real jar in a child JVM with a 256 MiB heap
 * and {@code --push} to a real registry. For every case: a non-zero exit and one line {@code lamina
 * build: Reason: message} with the expected reason; nothing written outside {@code --out} (a
 * sentinel tree around it, and the child's temp directory, are compared before and after); nothing
 * pushed; and bounded time. Wall time and peak RSS of each run are printed as a table and written
 * to {@code target/hostile-corpus.txt}.
 */
class HostileCorpusIT {
  /**
   * Generous, for a loaded machine (JVM start included): these cases used to hang for minutes or
   * run out of memory; fixed, each fails in a few seconds.
   */
  private static final long MAX_SECONDS = 30;

  private static final long KILL_SECONDS = 90;
  private static final String HEAP = "-Xmx256m";

  /** A safety net for this machine while a bomb is not yet bounded: no file over 2 GiB. */
  private static final long MAX_FILE_KIB = 2L << 20;

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final List<String> TABLE = new ArrayList<>();

  private static TestRegistry registry;
  private static OciClient client;
  private static Path work;
  private static String kernelRef;

  /** One hostile input: how to make its base layer and OSImage, and what the build must say. */
  record Case(
      String name, LayerMaker layer, String osImageExtra, String reason, String messagePart) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Writes the base layer's blobs (in order) for a case. */
  interface LayerMaker {
    List<byte[]> blobs() throws IOException;
  }

  static Stream<Case> cases() {
    return Stream.of(
        // 2: a small gzip layer that inflates far beyond the build's limit.
        new Case(
            "decompression-bomb",
            () -> List.of(bomb(1L << 30)),
            "build: {limits: {maxUncompressedBytes: 64Mi}}",
            "LayerTooLarge",
            null),
        new Case(
            "entry-count-bomb",
            () -> List.of(gzipTar(t -> emptyFiles(t, 50_000))),
            "build: {limits: {maxEntries: 10000}}",
            "LayerTooLarge",
            null),
        // 3: memory and CPU blow-ups.
        new Case(
            "pax-header-chain",
            () -> List.of(gzipTar(HostileCorpusIT::paxChain)),
            null,
            "InvalidLayer",
            null),
        new Case(
            "huge-pax-global-header",
            () -> List.of(gzipTar(HostileCorpusIT::hugeGlobalHeaders)),
            null,
            "InvalidLayer",
            null),
        new Case(
            "implied-path-100000-levels",
            () -> List.of(gzipTar(t -> paxNamed(t, "a/".repeat(100_000) + "f", '0'))),
            null,
            "InvalidEntry",
            "a/a/a"),
        new Case(
            "long-symlink-targets-8MiB",
            () -> List.of(gzipTar(HostileCorpusIT::longSymlinks)),
            null,
            "InvalidLayer",
            null),
        new Case(
            "symlink-target-longer-than-path-max",
            () ->
                List.of(
                    gzipTar(
                        t ->
                            t.pax('x', TarBytes.kv("linkpath", "t/".repeat(2500)))
                                .symlink("link", "x"))),
            null,
            "InvalidEntry",
            "link"),
        new Case(
            "nested-opaque-whiteouts",
            () ->
                List.of(
                    gzipTar(t -> paxNamed(t, "d/".repeat(30_000) + "f", '0')),
                    gzipTar(HostileCorpusIT::opaqueWhiteouts)),
            null,
            "InvalidEntry",
            "d/d/d"),
        new Case(
            "pax-mtime-huge-negative-exponent",
            () ->
                List.of(
                    gzipTar(
                        t ->
                            t.pax('x', TarBytes.kv("mtime", "1e-999999999"))
                                .file("etc/slow", "x"))),
            null,
            "InvalidLayer",
            "mtime"),
        new Case(
            "pax-mtime-200000-digits",
            () ->
                List.of(
                    gzipTar(
                        t ->
                            t.pax('x', TarBytes.kv("mtime", "9".repeat(200_000)))
                                .file("etc/slow", "x"))),
            null,
            "InvalidLayer",
            "mtime"),
        new Case(
            "pax-mtime-million-digits",
            () ->
                List.of(
                    gzipTar(
                        t ->
                            t.pax('x', TarBytes.kv("mtime", "9".repeat(1_000_000)))
                                .file("etc/slow", "x"))),
            null,
            "InvalidLayer",
            null),
        // Escapes from the image root (handled before issue 8; kept as regressions).
        new Case(
            "dotdot-escape",
            () -> List.of(TestLayers.tarGz(file("../escape", "boom"))),
            null,
            "InvalidLayer",
            "../escape"),
        new Case(
            "symlink-escape",
            () ->
                List.of(
                    TestLayers.tarGz(symlink("up", "../../..")),
                    TestLayers.tarGz(file("up/etc/passwd", "boom"))),
            null,
            "InvalidLayer",
            "up/etc/passwd"),
        // 7: names the kernel cannot unpack.
        new Case(
            "name-longer-than-path-max",
            () -> List.of(gzipTar(t -> paxNamed(t, ("n".repeat(200) + "/").repeat(25) + "f", '0'))),
            null,
            "InvalidEntry",
            "nnnn"),
        new Case(
            "nested-dirs-10000",
            () -> List.of(gzipTar(HostileCorpusIT::nestedDirs)),
            null,
            "InvalidEntry",
            "a/a/a"),
        new Case(
            "nul-in-pax-path",
            () ->
                List.of(
                    gzipTar(
                        t ->
                            t.pax('x', TarBytes.kv("path", "etc/passwd\0x"))
                                .file("etc/ignored", "root::0:0::/:/bin/sh\n"))),
            null,
            "InvalidEntry",
            "etc/passwd"),
        // 8: a negative size in an extended header, as a PAX record and as the header's own field.
        new Case(
            "negative-pax-size-record",
            () -> List.of(gzipTar(t -> t.pax('x', TarBytes.kv("size", "-5")).file("etc/neg", "x"))),
            null,
            "InvalidLayer",
            "size"),
        new Case(
            "negative-extended-header-size",
            () -> List.of(gzipTar(HostileCorpusIT::negativeExtensionSize)),
            null,
            "InvalidLayer",
            null),
        // 8: YAML errors name the field.
        new Case(
            "yaml-mode-99999",
            HostileCorpusIT::plainLayer,
            "files: [{path: etc/x, contents: x, mode: \"99999\"}]",
            "InvalidInput",
            "mode"),
        new Case(
            "yaml-mode-0o4755",
            HostileCorpusIT::plainLayer,
            "files: [{path: etc/x, contents: x, mode: 0o4755}]",
            "InvalidInput",
            "mode"),
        new Case(
            "yaml-empty-file-path",
            HostileCorpusIT::plainLayer,
            "files: [{path: \"\", contents: x}]",
            "InvalidInput",
            "path"),
        // Integrity of what the layout serves.
        new Case("digest-mismatch", HostileCorpusIT::plainLayer, null, "DigestMismatch", null),
        new Case(
            "truncated-gzip",
            () -> {
              byte[] whole = TestLayers.tarGz(file("etc/big", "x".repeat(100_000) + "end"));
              return List.of(Arrays.copyOf(whole, whole.length / 2));
            },
            null,
            "InvalidLayer",
            "truncated"));
  }

  @BeforeAll
  static void setUp() throws IOException {
    registry = TestRegistry.start();
    client = OciClient.create();
    work = Files.createTempDirectory("lamina-hostile-");
    Path kernelLayout = work.resolve("layouts/kernel");
    TestLayers.pushImage(
        client.repository("oci:" + kernelLayout),
        "6.1",
        Map.of("amd64", List.of(TestLayers.tarGz(file("kernel", "KERNEL")))));
    kernelRef = "oci:" + kernelLayout + ":6.1";
  }

  @AfterAll
  static void tearDown() throws IOException {
    String table =
        String.format("%-38s %5s %9s %10s  %s%n", "case", "exit", "seconds", "peak RSS", "stderr")
            + String.join("", TABLE);
    System.out.println(table);
    Path jar = Path.of(System.getProperty("lamina.jar"));
    Files.writeString(jar.resolveSibling("hostile-corpus.txt"), table);
    if (registry != null) {
      registry.close();
    }
    Trees.delete(work);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void failsWithAReasonWritesNothingOutsideOutAndPushesNothing(Case c) throws Exception {
    Path caseDir = work.resolve("cases").resolve(c.name());
    Path layout = caseDir.resolve("layout");
    List<byte[]> blobs = c.layer().blobs();
    TestLayers.pushImage(client.repository("oci:" + layout), "1", Map.of("amd64", blobs));
    if (c.name().equals("digest-mismatch")) {
      corruptFirstLayerBlob(layout, blobs.get(0));
    }

    Path sandbox = caseDir.resolve("sandbox");
    Path out = sandbox.resolve("out");
    Path tmp = sandbox.resolve("tmp");
    Files.createDirectories(tmp);
    Files.createDirectories(sandbox.resolve("etc"));
    Files.writeString(sandbox.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    Files.writeString(sandbox.resolve("escape"), "sentinel\n");
    Files.createDirectories(sandbox.resolve("a/b"));
    Files.writeString(sandbox.resolve("a/b/c"), "sentinel\n");
    Path yaml = sandbox.resolve("image.yaml");
    Files.writeString(yaml, yaml(c, "oci:" + layout + ":1"));
    Map<String, String> before = snapshot(sandbox, out);

    Run run = build(sandbox, tmp, yaml, out);
    String stderr = run.stderr().strip();
    TABLE.add(
        String.format(
            "%-38s %5d %9.2f %10s  %s%n",
            c.name(),
            run.exit(),
            run.seconds(),
            run.peakRssKib() < 0 ? "?" : (run.peakRssKib() / 1024) + " MiB",
            abbreviate(stderr.lines().findFirst().orElse(""), 140)));

    String shown = abbreviate(stderr, 400);
    assertThat(run.seconds()).as("wall time; stderr: %s", shown).isLessThan(MAX_SECONDS);
    assertThat(run.exit()).as(shown).isEqualTo(1);
    assertThat(stderr.lines()).as("one line on stderr: %s", shown).hasSize(1);
    assertThat(stderr).as(shown).startsWith("lamina build: " + c.reason() + ":");
    if (c.messagePart() != null) {
      assertThat(stderr).as(shown).contains(c.messagePart());
    }
    assertThat(snapshot(sandbox, out)).as("files outside --out").isEqualTo(before);
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left.toList()).as("temporary files left behind").isEmpty();
    }
    assertNothingPushed(c.name());
  }

  private static String yaml(Case c, String baseRef) {
    String extra = c.osImageExtra() == null ? "" : c.osImageExtra();
    String files = extra.startsWith("files:") ? extra : "files: [{path: etc/motd, contents: hi}]";
    String build = extra.startsWith("build:") ? extra : "";
    return """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: "%s"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: base}
        spec: {image: "%s"}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: %s}
        spec:
          architectures: [amd64]
          kernel: {layer: kernel}
          init: [base]
          %s
          %s
          output: {repository: "%s/images/%s"}
        """
        .formatted(kernelRef, baseRef, c.name(), files, build, registry.host(), c.name());
  }

  record Run(int exit, String stderr, double seconds, long peakRssKib) {}

  /**
   * Runs {@code lamina build} under {@code /usr/bin/time -v} (for the peak RSS), with a bounded
   * heap, its temp directory inside the sandbox, and a cap on the size of any file it writes.
   */
  private static Run build(Path sandbox, Path tmp, Path yaml, Path out) throws Exception {
    Path timeFile = sandbox.getParent().resolve("time.txt");
    List<String> java =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            HEAP,
            "-Djava.io.tmpdir=" + tmp,
            "-jar",
            System.getProperty("lamina.jar"),
            "build",
            "-f",
            yaml.toString(),
            "--out",
            out.toString(),
            "--push");
    List<String> cmd =
        new ArrayList<>(
            List.of("bash", "-c", "ulimit -f " + MAX_FILE_KIB + "; exec \"$@\"", "bash"));
    boolean timed = Files.isExecutable(Path.of("/usr/bin/time"));
    if (timed) {
      cmd.addAll(List.of("/usr/bin/time", "-v", "-o", timeFile.toString()));
    }
    cmd.addAll(java);
    long start = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd)
            .directory(sandbox.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain =
        new Thread(
            () -> {
              try {
                p.getErrorStream().transferTo(err);
              } catch (IOException ignored) {
                // the process is gone
              }
            });
    drain.start();
    if (!p.waitFor(KILL_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    drain.join();
    String stderr =
        err.toString(UTF_8)
            .lines()
            .filter(l -> !l.startsWith("lamina: "))
            .reduce("", (a, b) -> a + b + "\n");
    long rss = -1;
    if (timed && Files.exists(timeFile)) {
      Matcher m =
          Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)")
              .matcher(Files.readString(timeFile));
      if (m.find()) {
        rss = Long.parseLong(m.group(1));
      }
    }
    return new Run(p.exitValue(), stderr, seconds, rss);
  }

  /** Every path under {@code root} except {@code out}'s subtree, with a hash of each file. */
  private static Map<String, String> snapshot(Path root, Path out) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.filter(p -> !p.startsWith(out)).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          result.put(rel, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isRegularFile(p)) {
          result.put(rel, sha256(Files.readAllBytes(p)));
        } else {
          result.put(rel, "dir");
        }
      }
    }
    return result;
  }

  private static void assertNothingPushed(String name) throws Exception {
    HttpResponse<String> tags =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + registry.host() + "/v2/images/" + name + "/tags/list"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(tags.statusCode()).as(tags.body()).isEqualTo(404);
    assertThat(registry.storage().resolve("docker/registry/v2/repositories/images/" + name))
        .doesNotExist();
  }

  private static void corruptFirstLayerBlob(Path layout, byte[] blob) throws IOException {
    Path stored =
        layout
            .resolve("blobs/sha256")
            .resolve(dev.lamina.oci.Digests.hex(dev.lamina.oci.Digests.sha256(blob)));
    byte[] bad = Files.readAllBytes(stored);
    bad[bad.length / 2] ^= 0x5a;
    Files.write(stored, bad);
  }

  // ---- generators: each streams through gzip, so only compressed bytes are held ----

  private static List<byte[]> plainLayer() throws IOException {
    return List.of(TestLayers.tarGz(file("etc/hostname", "lamina")));
  }

  private static byte[] gzipTar(Consumer<TarBytes> body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
      TarBytes t = new TarBytes(gz);
      body.accept(t);
      t.end();
    }
    return bytes.toByteArray();
  }

  /**
   * One file of {@code size} zero bytes. Its data is one gzip member of 64 MiB of zeros repeated:
   * gzip allows concatenated members, so the blob stays about 1/1000 of what it inflates to.
   */
  private static byte[] bomb(long size) throws IOException {
    long chunk = 64L << 20;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        gzip(
            o -> {
              new TarBytes(o).header("var/lib/bomb", '0', size);
            }));
    byte[] zeros = gzip(o -> writeZeros(o, chunk));
    for (long done = 0; done < size; done += chunk) {
      out.writeBytes(zeros);
    }
    out.writeBytes(gzip(o -> new TarBytes(o).end()));
    return out.toByteArray();
  }

  private static void writeZeros(OutputStream o, long n) {
    byte[] block = new byte[1 << 16];
    try {
      for (long done = 0; done < n; done += block.length) {
        o.write(block, 0, (int) Math.min(block.length, n - done));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gzip(Consumer<OutputStream> body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
      body.accept(gz);
    }
    return bytes.toByteArray();
  }

  private static void emptyFiles(TarBytes t, int n) {
    for (int i = 0; i < n; i++) {
      t.header("f/" + i, '0', 0);
    }
  }

  /** 400 extended headers before one entry, each 1 MiB under a key of its own. */
  private static void paxChain(TarBytes t) {
    String value = "v".repeat(1 << 20);
    for (int i = 0; i < 400; i++) {
      t.pax('x', TarBytes.kv("LAMINA.chain" + i, value));
    }
    t.file("etc/chained", "x");
  }

  /** 20 global headers of 15 MiB, each under a key of its own, then a few entries. */
  private static void hugeGlobalHeaders(TarBytes t) {
    String value = "g".repeat(15 << 20);
    for (int i = 0; i < 20; i++) {
      t.pax('g', TarBytes.kv("comment" + i, value));
    }
    for (int i = 0; i < 10; i++) {
      t.file("etc/g" + i, "x");
    }
  }

  /** 30 symlinks whose targets are 8 MiB each. */
  private static void longSymlinks(TarBytes t) {
    String target = "t/".repeat(4 << 20);
    for (int i = 0; i < 30; i++) {
      t.pax('x', TarBytes.kv("linkpath", target)).symlink("link-" + i, "placeholder");
    }
  }

  /** Opaque whiteouts at the root and along the deep path of the layer below. */
  private static void opaqueWhiteouts(TarBytes t) {
    t.file(".wh..wh..opq", "");
    for (int depth = 1; depth <= 30_000; depth *= 2) {
      paxNamed(t, "d/".repeat(depth) + ".wh..wh..opq", '0');
    }
  }

  private static void nestedDirs(TarBytes t) {
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < 10_000; i++) {
      path.append(i == 0 ? "a" : "/a");
      paxNamed(t, path + "/", '5');
    }
  }

  /** An empty entry whose full name is in a PAX path record. */
  private static TarBytes paxNamed(TarBytes t, String name, char type) {
    return t.pax('x', TarBytes.kv("path", name)).header("placeholder", type, 0);
  }

  /** An extended header whose own size field is -1 in GNU base-256. */
  private static void negativeExtensionSize(TarBytes t) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    new TarBytes(h).header("PaxHeaders/neg", 'x', 0);
    byte[] block = h.toByteArray();
    Arrays.fill(block, 124, 136, (byte) 0xFF);
    Arrays.fill(block, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : block) {
      sum += b & 0xFF;
    }
    byte[] checksum = String.format("%06o\0 ", sum).getBytes(UTF_8);
    System.arraycopy(checksum, 0, block, 148, 8);
    t.raw(block).file("etc/after", "x");
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}

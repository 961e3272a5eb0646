import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the benchmark input: four gzip'd tar layers (about 456 MB uncompressed, 17,000+ files,
 * with overwrites, whiteouts, an opaque directory, hard links and symlinks), deterministic from
 * fixed seeds, as an OCI image layout that umoci can unpack, plus a kernel layer (a {@code kernel}
 * file and a {@code kernel.tar} of modules, as LinuxKit kernel images hold them). Run with {@code
 * java -cp lamina.jar GenerateInput.java OUTDIR [large|small]}; {@code small} has a seventh of the
 * files (about 3,300 entries with the modules). Writes OUTDIR/layers.args (NAME=BLOB arguments for
 * {@code lamina assemble}), OUTDIR/blobs.txt, OUTDIR/uncompressed-bytes and OUTDIR/images.env (the digests of
 * the {@code init} and {@code kernel} images: single-platform OCI indexes, tagged so in the layout;
 * the tag {@code bench} is the init image's manifest, for umoci).
 */
public class GenerateInput {
  static final long MTIME = 1_600_000_000L;
  static final byte[] TEXT = textPool();
  static int scale = 1;

  record Blob(String name, String digest, long size, String diffId, long uncompressed, Path path) {}

  interface Writer {
    void write(Tar t) throws IOException;
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    scale = args.length > 1 && args[1].equals("small") ? 7 : 1;
    Path blobs = out.resolve("layout/blobs/sha256");
    Files.createDirectories(blobs);
    List<Writer> writers =
        List.of(
            GenerateInput::base, GenerateInput::update, GenerateInput::app, GenerateInput::config);
    String[] names = {"base", "update", "app", "config"};
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<Blob>> futures = new ArrayList<>();
    for (int i = 0; i < writers.size(); i++) {
      int n = i;
      futures.add(pool.submit(() -> layer(names[n], writers.get(n), blobs)));
    }
    List<Blob> layers = new ArrayList<>();
    for (Future<Blob> f : futures) {
      layers.add(f.get());
    }
    pool.shutdown();
    Blob kernelBlob = layer("kernel", GenerateInput::kernel, blobs);

    StringBuilder diffIds = new StringBuilder();
    StringBuilder layerDescs = new StringBuilder();
    StringBuilder argsFile = new StringBuilder();
    StringBuilder blobList = new StringBuilder();
    long total = 0;
    for (Blob b : layers) {
      diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(b.diffId()).append('"');
      layerDescs
          .append(layerDescs.length() == 0 ? "" : ",")
          .append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
          .append(b.digest())
          .append("\",\"size\":")
          .append(b.size())
          .append('}');
      argsFile.append(b.name()).append('=').append(b.path()).append('\n');
      blobList.append(b.path()).append('\n');
      total += b.uncompressed();
    }
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    String configDigest = put(blobs, config);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest
                + "\",\"size\":"
                + config.length
                + "},\"layers\":["
                + layerDescs
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    String manifestDigest = put(blobs, manifest);
    String initIndex = index(blobs, manifestDigest, manifest.length);
    String kernelManifest = imageManifest(blobs, List.of(kernelBlob));
    String kernelIndex =
        index(
            blobs,
            kernelManifest,
            Files.size(blobs.resolve(kernelManifest.substring("sha256:".length()))));
    Files.writeString(
        out.resolve("layout/index.json"),
        "{\"schemaVersion\":2,\"manifests\":["
            + ref(MANIFEST, manifestDigest, manifest.length, "bench")
            + ","
            + ref(INDEX, initIndex, size(blobs, initIndex), "init")
            + ","
            + ref(INDEX, kernelIndex, size(blobs, kernelIndex), "kernel")
            + "]}");
    Files.writeString(
        out.resolve("images.env"),
        "INIT_INDEX=" + initIndex + "\nKERNEL_INDEX=" + kernelIndex + "\n");
    Files.writeString(out.resolve("layout/oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(out.resolve("layers.args"), argsFile.toString());
    Files.writeString(out.resolve("blobs.txt"), blobList.toString());
    Files.writeString(out.resolve("uncompressed-bytes"), total + "\n");
    System.err.printf(
        "%d layers, %.1f MB uncompressed; kernel layer %.1f MB%n",
        layers.size(), total / 1e6, kernelBlob.uncompressed() / 1e6);
  }

  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String INDEX = "application/vnd.oci.image.index.v1+json";

  static String ref(String mediaType, String digest, long size, String tag) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\""
        + tag
        + "\"}}";
  }

  static long size(Path blobs, String digest) throws IOException {
    return Files.size(blobs.resolve(digest.substring("sha256:".length())));
  }

  /** A manifest of {@code layers} with a minimal amd64 config; returns its digest. */
  static String imageManifest(Path blobs, List<Blob> layers) throws Exception {
    StringBuilder diffIds = new StringBuilder();
    StringBuilder descs = new StringBuilder();
    for (Blob b : layers) {
      diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(b.diffId()).append('"');
      descs
          .append(descs.length() == 0 ? "" : ",")
          .append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
          .append(b.digest())
          .append("\",\"size\":")
          .append(b.size())
          .append('}');
    }
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    String configDigest = put(blobs, config);
    return put(
        blobs,
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MANIFEST
                + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest
                + "\",\"size\":"
                + config.length
                + "},\"layers\":["
                + descs
                + "]}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A one-platform OCI index over a manifest. LinuxKit re-validates a cached image that is a bare
   * manifest on every run (about 7 CPU-seconds on the large corpus), so both peers get indexes.
   */
  static String index(Path blobs, String manifest, long size) throws Exception {
    return put(
        blobs,
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + INDEX
                + "\",\"manifests\":[{\"mediaType\":\""
                + MANIFEST
                + "\",\"digest\":\""
                + manifest
                + "\",\"size\":"
                + size
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A kernel image as LinuxKit lays it out: {@code kernel} (8 MB of random bytes, as compressed as a
   * bzImage) and {@code kernel.tar}, 1,500 modules (a seventh in the small corpus).
   */
  static void kernel(Tar t) throws IOException {
    SplittableRandom r = new SplittableRandom(5);
    java.io.ByteArrayOutputStream mods = new java.io.ByteArrayOutputStream(32 << 20);
    try (TarArchiveOutputStream m = new TarArchiveOutputStream(mods, 1 << 16, "UTF-8")) {
      m.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      Tar mt = new Tar(m);
      for (int i = 0; i < 1500 / scale; i++) {
        // Modules are code: text-like, with a random tail standing for data and signatures.
        String dir = "lib/modules/6.1.0-bench/kernel/drivers/d" + (i % 50) + "/";
        mt.file(dir + "m" + i + ".ko", size(r, 14_000), r);
        if (i % 4 == 0) {
          mt.file(dir + "m" + i + ".bin", size(r, 4_000), r);
        }
      }
      m.finish();
    }
    byte[] kernel = new byte[8 << 20];
    r.nextBytes(kernel); // a bzImage is compressed
    t.bytes("kernel", kernel);
    t.bytes("kernel.tar", mods.toByteArray());
  }

  /** 9,000 files in 300 directories. */
  static void base(Tar t) throws IOException {
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 9000 / scale; i++) {
      t.file(basePath(i), size(r, 28_000), r);
    }
  }

  /** Overwrites 1,500 base files, deletes 300, makes 5 directories opaque, adds 2,500 files. */
  static void update(Tar t) throws IOException {
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < 9000 / scale; i += 6) {
      t.file(basePath(i), size(r, 30_000), r);
    }
    for (int i = 1; i < 9000 / scale; i += 30) {
      String p = basePath(i);
      int slash = p.lastIndexOf('/');
      t.file(p.substring(0, slash + 1) + ".wh." + p.substring(slash + 1), 0, r);
    }
    for (int d = 0; d < 5; d++) {
      t.file("usr/share/p" + (d * 50 + 7) + "/.wh..wh..opq", 0, r);
    }
    for (int i = 0; i < 2500 / scale; i++) {
      t.file(
          String.format("usr/lib/u%d/f%05d.%s", i % 100, i, i % 5 < 3 ? "txt" : "bin"),
          size(r, 30_000),
          r);
    }
  }

  /** 3,000 files, 200 hard links, 200 symlinks. */
  static void app(Tar t) throws IOException {
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 3000 / scale; i++) {
      t.file(appPath(i), size(r, 20_000), r);
    }
    for (int i = 0; i < 200 / scale; i++) {
      t.link("opt/app/links/h" + i, appPath(i * 7), TarConstants.LF_LINK);
      t.link(
          "opt/app/sym/s" + i,
          "../" + appPath(i * 11).substring("opt/app/".length()),
          TarConstants.LF_SYMLINK);
    }
  }

  /** 1,500 small files and 200 whiteouts of files the update layer added. */
  static void config(Tar t) throws IOException {
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 1500 / scale; i++) {
      t.file(String.format("etc/conf%d/c%04d.conf", i % 40, i), size(r, 6_000), r);
    }
    for (int i = 0; i < 2500 / scale; i += 12) {
      t.file(
          String.format("usr/lib/u%d/.wh.f%05d.%s", i % 100, i, i % 5 < 3 ? "txt" : "bin"), 0, r);
    }
  }

  static String basePath(int i) {
    return String.format("usr/share/p%d/f%05d.%s", i % 300, i, i % 5 < 3 ? "txt" : "bin");
  }

  static String appPath(int i) {
    return String.format("opt/app/m%d/f%05d.%s", i % 60, i, i % 5 < 3 ? "txt" : "bin");
  }

  /** Exponentially distributed sizes around {@code mean}, at most 8 MB. */
  static int size(SplittableRandom r, int mean) {
    return (int) Math.min(8 << 20, -Math.log(1 - r.nextDouble()) * mean);
  }

  static Blob layer(String name, Writer w, Path blobs) throws Exception {
    Path tmp = blobs.resolve(name + ".tmp");
    MessageDigest compressed = MessageDigest.getInstance("SHA-256");
    MessageDigest uncompressed = MessageDigest.getInstance("SHA-256");
    long[] count = {0};
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
        DigestOutputStream c = new DigestOutputStream(file, compressed);
        GZIPOutputStream gz = new GZIPOutputStream(c, 1 << 16);
        OutputStream counted =
            new DigestOutputStream(gz, uncompressed) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                super.write(b, off, len);
                count[0] += len;
              }
            };
        TarArchiveOutputStream tar = new TarArchiveOutputStream(counted, 1 << 16, "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      w.write(new Tar(tar));
      tar.finish();
    }
    String digest = "sha256:" + HexFormat.of().formatHex(compressed.digest());
    Path blob = blobs.resolve(digest.substring(7));
    Files.move(tmp, blob, StandardCopyOption.REPLACE_EXISTING);
    return new Blob(
        name,
        digest,
        Files.size(blob),
        "sha256:" + HexFormat.of().formatHex(uncompressed.digest()),
        count[0],
        blob);
  }

  static String put(Path blobs, byte[] data) throws IOException, NoSuchAlgorithmException {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    Files.write(blobs.resolve(hex), data);
    return "sha256:" + hex;
  }

  /** Random words from a fixed vocabulary: compresses about 3:1 like text and code. */
  static byte[] textPool() {
    SplittableRandom r = new SplittableRandom(99);
    String[] words = new String[4000];
    for (int i = 0; i < words.length; i++) {
      StringBuilder w = new StringBuilder();
      int len = 2 + r.nextInt(9);
      for (int j = 0; j < len; j++) {
        w.append((char) ('a' + r.nextInt(26)));
      }
      words[i] = w.toString();
    }
    StringBuilder sb = new StringBuilder(8 << 20);
    while (sb.length() < (8 << 20)) {
      // Zipf-like choice: frequent words are much more common, as in real text.
      int idx = (int) (words.length * Math.pow(r.nextDouble(), 3));
      sb.append(words[idx]).append(r.nextInt(12) == 0 ? '\n' : ' ');
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Writes tar entries with fixed metadata. */
  record Tar(TarArchiveOutputStream tar) {
    void file(String path, int size, SplittableRandom r) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(path);
      e.setModTime(FileTime.from(MTIME, TimeUnit.SECONDS));
      e.setMode(0644);
      e.setSize(size);
      tar.putArchiveEntry(e);
      if (path.endsWith(".bin")) {
        byte[] buf = new byte[Math.min(size, 1 << 16)];
        for (int left = size; left > 0; ) {
          r.nextBytes(buf);
          int n = Math.min(left, buf.length);
          tar.write(buf, 0, n);
          left -= n;
        }
      } else {
        for (int left = size; left > 0; ) {
          int off = r.nextInt(TEXT.length - (1 << 16));
          int n = Math.min(left, 1 << 16);
          tar.write(TEXT, off, n);
          left -= n;
        }
      }
      tar.closeArchiveEntry();
    }

    void bytes(String path, byte[] data) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(path);
      e.setModTime(FileTime.from(MTIME, TimeUnit.SECONDS));
      e.setMode(0644);
      e.setSize(data.length);
      tar.putArchiveEntry(e);
      tar.write(data);
      tar.closeArchiveEntry();
    }

    void link(String path, String target, byte type) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(path, type);
      e.setModTime(FileTime.from(MTIME, TimeUnit.SECONDS));
      e.setLinkName(target);
      tar.putArchiveEntry(e);
      tar.closeArchiveEntry();
    }
  }
}

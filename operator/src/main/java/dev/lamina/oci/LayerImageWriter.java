package dev.lamina.oci;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Makes a multi-platform OCI image of one tar+gzip layer per platform from directory trees, the way
 * a platform team packages a Layer. Only the tree's content, modes and links reach the bytes:
 * owners are fixed, times are clamped and entries are sorted, so equal trees give equal digests on
 * any machine.
 */
public final class LayerImageWriter {
  /** A platform and the directory holding its layer's files. */
  public record Source(Platform platform, Path root) {
    public Source {
      Objects.requireNonNull(platform, "platform");
      Objects.requireNonNull(root, "root");
    }
  }

  /** What was written: the index and, per platform, its manifest and layer. */
  public record Result(Descriptor index, List<PlatformImage> images) {}

  /** One platform's image: its manifest, its compressed layer and the layer's diff ID. */
  public record PlatformImage(
      Platform platform, Descriptor manifest, Descriptor layer, String diffId) {}

  private static final int BUFFER = 1 << 16;

  private final long sourceDateEpoch;
  private final int uid;
  private final int gid;
  private final Path scratch;

  /**
   * @param sourceDateEpoch entries modified later than this (seconds) are stamped with it
   * @param uid owner written on every entry
   * @param gid group written on every entry
   * @param scratch directory for the compressed layers before they are stored
   */
  public LayerImageWriter(long sourceDateEpoch, int uid, int gid, Path scratch) {
    if (sourceDateEpoch < 0 || uid < 0 || gid < 0) {
      throw new IllegalArgumentException("source date epoch, uid and gid must not be negative");
    }
    this.sourceDateEpoch = sourceDateEpoch;
    this.uid = uid;
    this.gid = gid;
    this.scratch = Objects.requireNonNull(scratch, "scratch");
  }

  /**
   * Writes every layer first, then stores blobs, manifests and the index tagged {@code tag} in
   * {@code repo}: a tree that cannot be archived stops the write before anything is stored.
   */
  public Result write(OciRepository repo, List<Source> sources, String tag) throws IOException {
    OciReference.requireTag(tag);
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("no platforms given");
    }
    // Sorted by platform, so the order of the command line does not change the index digest.
    Map<String, Source> byPlatform = new TreeMap<>();
    for (Source s : sources) {
      if (byPlatform.put(s.platform().normalize().toString(), s) != null) {
        throw new IllegalArgumentException("platform " + s.platform() + " is given twice");
      }
      if (!Files.isDirectory(s.root(), LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException(
            "layer root " + s.root() + " for " + s.platform() + " is not a directory");
      }
    }
    List<Spooled> spooled = new ArrayList<>();
    try {
      for (Source s : byPlatform.values()) {
        spooled.add(spool(s));
      }
      List<PlatformImage> images = new ArrayList<>();
      List<Descriptor> entries = new ArrayList<>();
      for (Spooled layer : spooled) {
        repo.pushBlob(layer.layer(), () -> Files.newInputStream(layer.file()), null);
        byte[] config = config(layer.platform(), layer.diffId());
        Descriptor configBlob =
            new Descriptor(MediaTypes.OCI_CONFIG, Digests.sha256(config), config.length);
        repo.pushBlob(configBlob, () -> new ByteArrayInputStream(config), null);
        byte[] manifest =
            ImageManifest.of(null, configBlob, List.of(layer.layer()), Map.of()).toJson();
        Descriptor stored = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
        images.add(new PlatformImage(layer.platform(), stored, layer.layer(), layer.diffId()));
        entries.add(
            new Descriptor(
                stored.mediaType(),
                stored.digest(),
                stored.size(),
                Map.of(),
                layer.platform(),
                null));
      }
      byte[] index = ImageIndex.of(entries, Map.of()).toJson();
      return new Result(repo.pushManifest(index, MediaTypes.OCI_INDEX, tag), images);
    } finally {
      for (Spooled s : spooled) {
        Files.deleteIfExists(s.file());
      }
    }
  }

  private record Spooled(Platform platform, Path file, Descriptor layer, String diffId) {}

  private Spooled spool(Source source) throws IOException {
    Files.createDirectories(scratch);
    Path file = Files.createTempFile(scratch, "layer-", ".tar.gz");
    try {
      MessageDigest compressed = Digests.newSha256();
      MessageDigest uncompressed = Digests.newSha256();
      CountingOutputStream size;
      try (OutputStream fileOut =
          new BufferedOutputStream(
              Files.newOutputStream(file, StandardOpenOption.TRUNCATE_EXISTING), BUFFER)) {
        size = new CountingOutputStream(new DigestOutputStream(fileOut, compressed));
        // GZIPOutputStream's header carries no name and mtime 0; close() finishes the trailer.
        try (GZIPOutputStream gzip = new GZIPOutputStream(size, BUFFER)) {
          writeTar(source.root(), new DigestOutputStream(gzip, uncompressed));
        }
      }
      Descriptor layer =
          new Descriptor(
              MediaTypes.OCI_LAYER_GZIP, Digests.format(compressed.digest()), size.count);
      return new Spooled(source.platform(), file, layer, Digests.format(uncompressed.digest()));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /**
   * Writes the tree under {@code root} (not the root itself) as a tar: depth first, children by
   * name, so parents precede children; a file seen again through another name becomes a hard link
   * to the first. Leaves {@code out} open.
   */
  public void writeTar(Path root, OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosingOutputStream(out));
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    Map<Object, String> firstPathOfInode = new HashMap<>();
    byte[] buffer = new byte[BUFFER];
    writeChildren(root, "", tar, firstPathOfInode, buffer);
    tar.finish();
    tar.close();
  }

  private void writeChildren(
      Path dir, String prefix, TarArchiveOutputStream tar, Map<Object, String> links, byte[] buf)
      throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    for (Path child : children) {
      String name = prefix + child.getFileName();
      Map<String, Object> attrs =
          Files.readAttributes(child, "unix:mode,ino,dev,nlink,size", LinkOption.NOFOLLOW_LINKS);
      int mode = (int) attrs.get("mode");
      long modified = Files.getLastModifiedTime(child, LinkOption.NOFOLLOW_LINKS).toMillis();
      long mtime = Math.max(0, Math.min(sourceDateEpoch, Math.floorDiv(modified, 1000)));
      TarArchiveEntry entry;
      boolean contents = false;
      if (Files.isSymbolicLink(child)) {
        entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        entry.setLinkName(Files.readSymbolicLink(child).toString());
      } else if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        entry = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
      } else if (Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
        String first =
            (int) attrs.get("nlink") > 1
                ? links.putIfAbsent(List.of(attrs.get("dev"), attrs.get("ino")), name)
                : null;
        if (first != null) {
          entry = new TarArchiveEntry(name, TarConstants.LF_LINK);
          entry.setLinkName(first);
        } else {
          entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
          entry.setSize((long) attrs.get("size"));
          contents = true;
        }
      } else {
        throw new IOException(
            child + " is not a regular file, directory or symbolic link; a layer cannot hold it");
      }
      entry.setMode(mode & 07777);
      entry.setIds(uid, gid);
      entry.setNames("", "");
      entry.setModTime(mtime * 1000);
      tar.putArchiveEntry(entry);
      if (contents) {
        copyExactly(child, entry.getSize(), tar, buf);
      }
      tar.closeArchiveEntry();
      if (entry.isDirectory()) {
        writeChildren(child, name + "/", tar, links, buf);
      }
    }
  }

  private static void copyExactly(Path file, long size, OutputStream out, byte[] buf)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      long left = size;
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new IOException(file + " shrank while it was archived");
        }
        out.write(buf, 0, n);
        left -= n;
      }
      if (in.read() >= 0) {
        throw new IOException(file + " grew while it was archived");
      }
    }
  }

  private static byte[] config(Platform platform, String diffId) {
    return OciJson.write(
        g -> {
          g.writeStartObject();
          g.writeStringField("architecture", platform.architecture());
          g.writeStringField("os", platform.os());
          if (platform.variant() != null) {
            g.writeStringField("variant", platform.variant());
          }
          g.writeObjectFieldStart("config");
          g.writeEndObject();
          g.writeObjectFieldStart("rootfs");
          g.writeStringField("type", "layers");
          g.writeArrayFieldStart("diff_ids");
          g.writeString(diffId);
          g.writeEndArray();
          g.writeEndObject();
          g.writeEndObject();
        });
  }

  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}

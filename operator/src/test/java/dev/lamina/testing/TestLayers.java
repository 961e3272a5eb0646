package dev.lamina.testing;

import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Small OCI layer images made in test code: tar entries of any shape, pushed as real images. */
public final class TestLayers {
  private TestLayers() {}

  /** One tar entry; names are written as given, so tests can make hostile ones. */
  public record Entry(String name, byte type, int mode, byte[] data, String link) {
    public static Entry file(String name, String contents) {
      return new Entry(
          name, TarConstants.LF_NORMAL, 0644, contents.getBytes(StandardCharsets.UTF_8), null);
    }

    public static Entry file(String name, byte[] contents, int mode) {
      return new Entry(name, TarConstants.LF_NORMAL, mode, contents, null);
    }

    public static Entry dir(String name) {
      return new Entry(name, TarConstants.LF_DIR, 0755, new byte[0], null);
    }

    public static Entry symlink(String name, String target) {
      return new Entry(name, TarConstants.LF_SYMLINK, 0777, new byte[0], target);
    }

    public static Entry hardlink(String name, String target) {
      return new Entry(name, TarConstants.LF_LINK, 0644, new byte[0], target);
    }
  }

  /** An uncompressed tar of {@code entries}, in the order given, with fixed times and owners. */
  public static byte[] tar(List<Entry> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry e : entries) {
        TarArchiveEntry te = new TarArchiveEntry(e.name(), e.type(), true);
        te.setMode(e.mode());
        te.setModTime(0);
        if (e.link() != null) {
          te.setLinkName(e.link());
        }
        if (e.type() == TarConstants.LF_NORMAL) {
          te.setSize(e.data().length);
        }
        tar.putArchiveEntry(te);
        if (e.type() == TarConstants.LF_NORMAL) {
          tar.write(e.data());
        }
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** GZIPOutputStream's header has no name and mtime 0, so equal input gives equal bytes. */
  public static byte[] gzip(byte[] data) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static byte[] tarGz(Entry... entries) throws IOException {
    return gzip(tar(List.of(entries)));
  }

  /**
   * Pushes one image per architecture, each with the given layer blobs (tar+gzip), and an index
   * over them tagged {@code tag}. Returns the index descriptor.
   */
  public static Descriptor pushImage(
      OciRepository repo, String tag, Map<String, List<byte[]>> blobsByArch) throws IOException {
    List<Descriptor> manifests = new ArrayList<>();
    for (Map.Entry<String, List<byte[]>> e : new TreeMap<>(blobsByArch).entrySet()) {
      List<Descriptor> layers = new ArrayList<>();
      for (byte[] blob : e.getValue()) {
        layers.add(pushBlob(repo, blob, MediaTypes.OCI_LAYER_GZIP));
      }
      byte[] config =
          ("{\"architecture\":\""
                  + e.getKey()
                  + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
              .getBytes(StandardCharsets.UTF_8);
      Descriptor configDesc = pushBlob(repo, config, MediaTypes.OCI_CONFIG);
      byte[] manifest = ImageManifest.of(null, configDesc, layers, Map.of()).toJson();
      Descriptor pushed = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
      manifests.add(
          new Descriptor(
              MediaTypes.OCI_MANIFEST,
              pushed.digest(),
              pushed.size(),
              Map.of(),
              Platform.linux(e.getKey()),
              null));
    }
    return repo.pushManifest(
        ImageIndex.of(manifests, Map.of()).toJson(), MediaTypes.OCI_INDEX, tag);
  }

  public static Descriptor pushBlob(OciRepository repo, byte[] bytes, String mediaType)
      throws IOException {
    Descriptor d = new Descriptor(mediaType, Digests.sha256(bytes), bytes.length);
    repo.pushBlob(d, () -> new ByteArrayInputStream(bytes), null);
    return d;
  }
}

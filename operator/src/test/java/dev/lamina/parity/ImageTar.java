package dev.lamina.parity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.testing.TestLayers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Layer tars with owners, special modes, hard links and whiteouts, and images pushed with a real
 * config (diff_ids, and whatever runtime config a test adds), as LinuxKit and umoci expect them.
 */
final class ImageTar {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

  ImageTar() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  ImageTar dir(String name, int mode) throws IOException {
    return dir(name, mode, 0, 0);
  }

  ImageTar dir(String name, int mode, int uid, int gid) throws IOException {
    return put(name + "/", TarConstants.LF_DIR, mode, uid, gid, null, new byte[0]);
  }

  ImageTar file(String name, String contents) throws IOException {
    return file(name, 0644, 0, 0, contents);
  }

  ImageTar file(String name, int mode, int uid, int gid, String contents) throws IOException {
    return file(name, mode, uid, gid, contents.getBytes(StandardCharsets.UTF_8));
  }

  ImageTar file(String name, int mode, int uid, int gid, byte[] contents) throws IOException {
    return put(name, TarConstants.LF_NORMAL, mode, uid, gid, null, contents);
  }

  ImageTar symlink(String name, String target) throws IOException {
    return put(name, TarConstants.LF_SYMLINK, 0777, 0, 0, target, new byte[0]);
  }

  ImageTar hardlink(String name, String target) throws IOException {
    return put(name, TarConstants.LF_LINK, 0644, 0, 0, target, new byte[0]);
  }

  ImageTar charDevice(String name, int mode, int major, int minor) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_CHR, true);
    e.setMode(mode);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    e.setModTime(0);
    tar.putArchiveEntry(e);
    tar.closeArchiveEntry();
    return this;
  }

  /** A whiteout: {@code dir/.wh.name} deletes {@code dir/name} of the layers below. */
  ImageTar whiteout(String path) throws IOException {
    int slash = path.lastIndexOf('/');
    String name =
        slash < 0
            ? ".wh." + path
            : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
    return file(name, 0644, 0, 0, new byte[0]);
  }

  /** The opaque marker: the directory's entries of the layers below are hidden. */
  ImageTar opaque(String dir) throws IOException {
    return file(dir + "/.wh..wh..opq", 0644, 0, 0, new byte[0]);
  }

  private ImageTar put(String name, byte type, int mode, int uid, int gid, String link, byte[] data)
      throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setMode(mode);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setModTime(0);
    if (link != null) {
      e.setLinkName(link);
    }
    if (type == TarConstants.LF_NORMAL) {
      e.setSize(data.length);
    }
    tar.putArchiveEntry(e);
    if (type == TarConstants.LF_NORMAL) {
      tar.write(data);
    }
    tar.closeArchiveEntry();
    return this;
  }

  /** The uncompressed tar. */
  byte[] bytes() throws IOException {
    tar.finish();
    tar.flush();
    return bytes.toByteArray();
  }

  /** One layer: its uncompressed tar, and whether it is pushed gzipped. */
  record Layer(byte[] tar, boolean gzip) {
    static Layer gz(byte[] tar) {
      return new Layer(tar, true);
    }

    static Layer plain(byte[] tar) {
      return new Layer(tar, false);
    }
  }

  /**
   * Pushes one image manifest for {@code arch}: its layers, and a config with their diff_ids plus
   * what {@code config} adds to the {@code config} object (Cmd, Env, Labels, …). Returns the
   * manifest's descriptor, with its platform.
   */
  static Descriptor pushManifest(
      OciRepository repo, String arch, List<Layer> layers, Consumer<ObjectNode> config, String tag)
      throws IOException {
    List<Descriptor> layerDescs = new ArrayList<>();
    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("architecture", arch);
    cfg.put("os", "linux");
    ObjectNode runtime = cfg.putObject("config");
    config.accept(runtime);
    ObjectNode rootfs = cfg.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode diffIds = rootfs.putArray("diff_ids");
    for (Layer l : layers) {
      diffIds.add(Digests.sha256(l.tar()));
      byte[] blob = l.gzip() ? TestLayers.gzip(l.tar()) : l.tar();
      layerDescs.add(
          TestLayers.pushBlob(
              repo, blob, l.gzip() ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER));
    }
    byte[] configBytes = JSON.writeValueAsBytes(cfg);
    Descriptor configDesc = TestLayers.pushBlob(repo, configBytes, MediaTypes.OCI_CONFIG);
    byte[] manifest = ImageManifest.of(null, configDesc, layerDescs, Map.of()).toJson();
    Descriptor pushed = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, tag);
    return new Descriptor(
        MediaTypes.OCI_MANIFEST,
        pushed.digest(),
        pushed.size(),
        Map.of(),
        Platform.linux(arch),
        null);
  }

  /** Pushes an image per architecture and an index over them, tagged {@code tag}. */
  static Descriptor pushIndex(
      OciRepository repo,
      String tag,
      List<String> archs,
      java.util.function.Function<String, List<Layer>> layers,
      Consumer<ObjectNode> config)
      throws IOException {
    List<Descriptor> manifests = new ArrayList<>();
    for (String arch : archs) {
      manifests.add(pushManifest(repo, arch, layers.apply(arch), config, null));
    }
    return repo.pushManifest(
        ImageIndex.of(manifests, Map.of()).toJson(), MediaTypes.OCI_INDEX, tag);
  }

  static ByteArrayInputStream stream(byte[] b) {
    return new ByteArrayInputStream(b);
  }
}

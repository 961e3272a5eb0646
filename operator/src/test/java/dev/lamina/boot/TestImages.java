package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the boot test's layers (kernel, busybox, init) from Debian packages and writes images
 * into an OCI image layout: tar+gzip layers, a config per platform, and an image index per tag.
 */
public final class TestImages {
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /** The marker the init prints once it runs; the harness waits for it. */
  public static final String MARKER = "LAMINA-BOOT-OK";

  /** Small modules without dependencies that both Debian kernels build as modules. */
  static final List<String> MODULES = List.of("kernel/lib/crc7.ko", "kernel/lib/crc-itu-t.ko");

  /** Applets the init script calls. */
  static final List<String> APPLETS =
      List.of("cat", "echo", "grep", "mkdir", "modprobe", "mount", "poweroff", "sh", "uname");

  // Maps here are LinkedHashMaps or single entries: JSON key order is the order written.
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestImages() {}

  /**
   * The init: mounts the kernel filesystems, prints what the test checks (release file, a module
   * loaded from kernel.tar, the command line) and the marker, then powers off.
   */
  public static String initScript() {
    return """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        [ -f /etc/lamina-release ] && echo "LAMINA-RELEASE $(cat /etc/lamina-release)"
        modprobe crc7 && grep -q '^crc7 ' /proc/modules && echo "LAMINA-MODULE-OK crc7"
        echo "LAMINA-CMDLINE $(cat /proc/cmdline)"
        echo "%s arch=$(uname -m)"
        poweroff -f
        """
        .formatted(MARKER);
  }

  /** LinuxKit's kernel layout: /kernel is the image, /kernel.tar a few of its modules. */
  public static LayerTree kernelLayer(String arch) {
    String release = DebianPackages.kernelRelease(arch);
    Path modules = DebianPackages.modules(arch);
    String base = "lib/modules/" + release + "/";
    LayerTree tar = new LayerTree();
    StringBuilder dep = new StringBuilder();
    for (String module : MODULES) {
      tar.file(base + module, 0644, modules.resolve(module));
      dep.append(module).append(":\n");
    }
    // The package ships no modules.dep (depmod writes it at install), so write the subset's own.
    tar.file(base + "modules.dep", 0644, dep.toString().getBytes(UTF_8));
    tar.file(base + "modules.order", 0644, String.join("\n", MODULES).concat("\n").getBytes(UTF_8));
    return new LayerTree()
        .file("kernel", 0644, DebianPackages.vmlinuz(arch))
        .file("kernel.tar", 0644, tar.toTar());
  }

  public static LayerTree busyboxLayer(String arch) {
    LayerTree tree = new LayerTree().file("bin/busybox", 0755, DebianPackages.busybox(arch));
    for (String applet : APPLETS) {
      tree.symlink("bin/" + applet, "busybox");
    }
    return tree;
  }

  /** The same for every architecture: a script and the directories it mounts on. */
  public static LayerTree initLayer() {
    return new LayerTree()
        .file("init", 0755, initScript().getBytes(UTF_8))
        .directory("proc", 0555)
        .directory("sys", 0555)
        .directory("dev", 0755)
        .charDevice("dev/console", 0600, 5, 1)
        .directory("etc", 0755);
  }

  /**
   * The boot images in one layout under tags kernel, busybox and init, each for the given
   * arches. Returns each tag's image index digest.
   */
  public static Map<String, String> writeBootImages(Path layout, List<String> arches)
      throws IOException {
    Map<String, List<LayerTree>> kernel = new LinkedHashMap<>();
    Map<String, List<LayerTree>> busybox = new LinkedHashMap<>();
    Map<String, List<LayerTree>> init = new LinkedHashMap<>();
    for (String arch : arches) {
      kernel.put(arch, List.of(kernelLayer(arch)));
      busybox.put(arch, List.of(busyboxLayer(arch)));
      init.put(arch, List.of(initLayer()));
    }
    Map<String, String> digests = new LinkedHashMap<>();
    digests.put("kernel", writeImage(layout, "kernel", kernel));
    digests.put("busybox", writeImage(layout, "busybox", busybox));
    digests.put("init", writeImage(layout, "init", init));
    return digests;
  }

  /**
   * Writes one multi-platform image into the layout at {@code layout} (creating it if needed)
   * and tags it; a tag already there is replaced. Returns the image index's digest.
   */
  public static String writeImage(
      Path layout, String tag, Map<String, List<LayerTree>> layersByArch) throws IOException {
    Files.createDirectories(layout.resolve("blobs/sha256"));
    List<Map<String, Object>> manifests = new ArrayList<>();
    for (Map.Entry<String, List<LayerTree>> e : layersByArch.entrySet()) {
      String arch = e.getKey();
      List<Map<String, Object>> layers = new ArrayList<>();
      List<String> diffIds = new ArrayList<>();
      for (LayerTree tree : e.getValue()) {
        byte[] tar = tree.toTar();
        diffIds.add(digest(tar));
        layers.add(descriptor(LAYER, writeBlob(layout, gzip(tar))));
      }
      Map<String, Object> rootfs = new LinkedHashMap<>();
      rootfs.put("type", "layers");
      rootfs.put("diff_ids", diffIds);
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("architecture", arch);
      config.put("os", "linux");
      config.put("config", Map.of());
      config.put("rootfs", rootfs);
      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("schemaVersion", 2);
      manifest.put("mediaType", MANIFEST);
      manifest.put("config", descriptor(CONFIG, writeBlob(layout, json(config))));
      manifest.put("layers", layers);
      Map<String, Object> entry = descriptor(MANIFEST, writeBlob(layout, json(manifest)));
      Map<String, Object> platform = new LinkedHashMap<>();
      platform.put("architecture", arch);
      platform.put("os", "linux");
      entry.put("platform", platform);
      manifests.add(entry);
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX);
    index.put("manifests", manifests);
    Blob indexBlob = writeBlob(layout, json(index));
    tag(layout, tag, indexBlob);
    return indexBlob.digest();
  }

  private static void tag(Path layout, String tag, Blob indexBlob) throws IOException {
    Path indexJson = layout.resolve("index.json");
    SortedMap<String, Map<String, Object>> byTag = new TreeMap<>();
    if (Files.exists(indexJson)) {
      Map<String, Object> existing = JSON.readValue(indexJson.toFile(), new TypeReference<>() {});
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> entries = (List<Map<String, Object>>) existing.get("manifests");
      for (Map<String, Object> entry : entries) {
        @SuppressWarnings("unchecked")
        Map<String, String> annotations = (Map<String, String>) entry.get("annotations");
        byTag.put(annotations.get(REF_NAME), entry);
      }
    }
    Map<String, Object> entry = descriptor(INDEX, indexBlob);
    entry.put("annotations", Map.of(REF_NAME, tag));
    byTag.put(tag, entry);
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("schemaVersion", 2);
    top.put("mediaType", INDEX);
    top.put("manifests", new ArrayList<>(byTag.values()));
    Files.write(indexJson, json(top));
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  private record Blob(String digest, long size) {}

  private static Map<String, Object> descriptor(String mediaType, Blob blob) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("mediaType", mediaType);
    d.put("digest", blob.digest());
    d.put("size", blob.size());
    return d;
  }

  private static Blob writeBlob(Path layout, byte[] bytes) throws IOException {
    String digest = digest(bytes);
    Path path = layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    if (!Files.exists(path)) {
      Files.write(path, bytes);
    }
    return new Blob(digest, bytes.length);
  }

  static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** GZIPOutputStream's header has no name and mtime 0, so equal input gives equal bytes. */
  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static String digest(byte[] data) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

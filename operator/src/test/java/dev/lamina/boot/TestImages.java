package dev.lamina.boot;

import static dev.lamina.testing.TestLayers.pushBlob;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the boot test's layers (kernel, busybox, init) from Debian packages and writes them as OCI
 * images (tar+gzip layers, a config per platform, an image index per tag) into a layout.
 */
public final class TestImages {
  /** The marker the init prints once it runs; the harness waits for it. */
  public static final String MARKER = "LAMINA-BOOT-OK";

  /** Small modules without dependencies that both Debian kernels build as modules. */
  static final List<String> MODULES = List.of("kernel/lib/crc7.ko", "kernel/lib/crc-itu-t.ko");

  /** Applets the init script calls. */
  static final List<String> APPLETS =
      List.of(
          "cat",
          "echo",
          "grep",
          "mkdir",
          "modprobe",
          "mount",
          "poweroff",
          "sh",
          "sha256sum",
          "uname");

  /**
   * Random bytes in the init layer: three 128 KiB blocks that the initrd's gzip stores rather than
   * deflates, so a boot proves the kernel unpacks stored blocks between deflated ones.
   */
  static final byte[] RANDOM = random(3 * 128 * 1024);

  /** What the init prints after LAMINA-RANDOM: the sha256 of {@link #RANDOM} as unpacked. */
  public static final String RANDOM_SHA256 = dev.lamina.oci.Digests.sha256(RANDOM).substring(7);

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new java.util.SplittableRandom(10).nextBytes(b);
    return b;
  }

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
        set -- $(sha256sum /etc/random.bin) && echo "LAMINA-RANDOM $1"
        echo "LAMINA-CMDLINE $(cat /proc/cmdline)"
        echo "%s arch=$(uname -m)"
        poweroff -f
        """
        .formatted(MARKER);
  }

  /** LinuxKit's kernel layout: /kernel is the image, /kernel.tar a few of its modules. */
  public static LayerTree kernelLayer(String arch) {
    return kernelLayer(arch, MODULES);
  }

  /**
   * The same with other modules of the package (paths under lib/modules/RELEASE), each without
   * dependencies.
   */
  public static LayerTree kernelLayer(String arch, List<String> modules) {
    String release = DebianPackages.kernelRelease(arch);
    Path moduleDir = DebianPackages.modules(arch);
    String base = "lib/modules/" + release + "/";
    LayerTree tar = new LayerTree();
    StringBuilder dep = new StringBuilder();
    for (String module : modules) {
      tar.file(base + module, 0644, moduleDir.resolve(module));
      dep.append(module).append(":\n");
    }
    // The package ships no modules.dep (depmod writes it at install), so write the subset's own.
    tar.file(base + "modules.dep", 0644, dep.toString().getBytes(UTF_8));
    tar.file(base + "modules.order", 0644, String.join("\n", modules).concat("\n").getBytes(UTF_8));
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
        .directory("etc", 0755)
        .file("etc/random.bin", 0644, RANDOM);
  }

  /**
   * The boot images in one layout under tags kernel, busybox and init, each for the given arches.
   * Returns each tag's image index digest.
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
   * Writes one multi-platform image into the layout at {@code layout} (creating it if needed) and
   * tags it; a tag already there is replaced. Returns the image index's digest.
   */
  public static String writeImage(
      Path layout, String tag, Map<String, List<LayerTree>> layersByArch) throws IOException {
    OciRepository repo = OciClient.create().repository("oci:" + layout.toAbsolutePath());
    List<Descriptor> manifests = new ArrayList<>();
    for (Map.Entry<String, List<LayerTree>> e : layersByArch.entrySet()) {
      String arch = e.getKey();
      List<Descriptor> layers = new ArrayList<>();
      List<String> diffIds = new ArrayList<>();
      for (LayerTree tree : e.getValue()) {
        byte[] tar = tree.toTar();
        diffIds.add(Digests.sha256(tar));
        layers.add(pushBlob(repo, TestLayers.gzip(tar), MediaTypes.OCI_LAYER_GZIP));
      }
      Map<String, Object> rootfs = new LinkedHashMap<>();
      rootfs.put("type", "layers");
      rootfs.put("diff_ids", diffIds);
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("architecture", arch);
      config.put("os", "linux");
      config.put("config", Map.of());
      config.put("rootfs", rootfs);
      Descriptor configBlob = pushBlob(repo, json(config), MediaTypes.OCI_CONFIG);
      byte[] manifest = ImageManifest.of(null, configBlob, layers, Map.of()).toJson();
      Descriptor stored = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
      manifests.add(
          new Descriptor(
              stored.mediaType(),
              stored.digest(),
              stored.size(),
              Map.of(),
              Platform.linux(arch),
              null));
    }
    byte[] index = ImageIndex.of(manifests, Map.of()).toJson();
    return repo.pushManifest(index, MediaTypes.OCI_INDEX, tag).digest();
  }

  /**
   * Copies an image (an index and everything under it) between repositories, tag to tag, byte for
   * byte, so it keeps its digests. Returns the index's digest.
   */
  public static String copy(OciClient client, String from, String tag, String to, String toTag)
      throws IOException {
    OciRepository source = client.repository(from);
    OciRepository target = client.repository(to);
    Descriptor top =
        source
            .resolveTag(tag)
            .orElseThrow(() -> new IOException("no tag " + tag + " in " + source.name()));
    byte[] indexBytes = source.manifestBytes(top.digest());
    for (Descriptor entry : ImageIndex.parse(indexBytes).manifests()) {
      byte[] manifestBytes = source.manifestBytes(entry.digest());
      ImageManifest manifest = ImageManifest.parse(manifestBytes);
      List<Descriptor> blobs = new ArrayList<>(manifest.layers());
      blobs.add(manifest.config());
      for (Descriptor blob : blobs) {
        target.pushBlob(blob, () -> source.openBlob(blob), null);
      }
      target.pushManifest(manifestBytes, entry.mediaType(), null);
    }
    return target.pushManifest(indexBytes, top.mediaType(), toTag).digest();
  }

  static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

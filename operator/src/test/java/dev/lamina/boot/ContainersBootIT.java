package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * System containers end to end: `lamina build` assembles the containers test init (busybox, runc
 * and its libraries from Debian packages, as Layers) with containers under /containers, and the
 * image boots under qemu, where runc runs them.
 */
class ContainersBootIT {
  static final List<String> ARCHES = List.of("amd64", "arm64");
  static final Duration TIMEOUT = Duration.ofSeconds(180);

  @TempDir static Path work;
  static Path layout;

  @BeforeAll
  static void writeImages() throws Exception {
    layout = work.resolve("layout");
    Map<String, Map<String, List<LayerTree>>> images = new LinkedHashMap<>();
    for (String arch : ARCHES) {
      put(images, "kernel", arch, ContainerInit.kernelLayer(arch));
      put(images, "busybox", arch, ContainerInit.busyboxLayer(arch));
      ContainerInit.runcLayers(arch).forEach((pkg, tree) -> put(images, pkg, arch, tree));
      put(images, "containers-init", arch, ContainerInit.initLayer());
      put(images, "hand-bundle", arch, handBundle(arch));
      put(images, "busybox-image", arch, containerImage(arch));
    }
    for (Map.Entry<String, Map<String, List<LayerTree>>> image : images.entrySet()) {
      TestImages.writeImage(layout, image.getKey(), image.getValue());
    }
  }

  private static void put(
      Map<String, Map<String, List<LayerTree>>> images, String tag, String arch, LayerTree tree) {
    images.computeIfAbsent(tag, t -> new LinkedHashMap<>()).put(arch, List.of(tree));
  }

  /**
   * Proves the init and runc without Lamina's container code: two onboot bundles written by hand, a
   * read-only one and a writable one on an overlay.
   */
  @ParameterizedTest
  @CsvSource({"amd64, x86_64", "arm64, aarch64"})
  void handWrittenBundleRunsUnderRunc(String arch, String machine) throws Exception {
    Path out = work.resolve("hand-" + arch);
    build(osImage("hand", arch, List.of("hand-bundle")), out);

    QemuBoot.Result boot = boot(arch, out, "hand");

    assertThat(boot.markerSeen()).as(boot.console()).isTrue();
    assertThat(boot.linesStartingWith("LAMINA-HELLO"))
        .as(boot.console())
        .containsExactly("uid=0 CapEff=00000000000004c0", "root-readonly", "overlay scratch");
    assertThat(boot.linesStartingWith(ContainerInit.INIT))
        .containsExactly(
            "onboot 000-hello start",
            "onboot 000-hello exit=0",
            "onboot 001-scratch start",
            "onboot 001-scratch exit=0");
    assertThat(boot.linesStartingWith(ContainerInit.MARKER))
        .singleElement()
        .asString()
        .startsWith("arch=" + machine);
  }

  /**
   * The proof, through Lamina's own container code: an onboot container (writable, so an
   * overlay over lower/) writes a file into a bind; a read-only service running as uid 1000 with
   * two capabilities (ambient, so they survive the change of uid) prints the file, its ids, its
   * effective capabilities and whether / took a write.
   */
  @ParameterizedTest
  @CsvSource({"amd64, x86_64", "arm64, aarch64"})
  void onbootRunsBeforeAServiceWithItsUidCapabilitiesAndReadOnlyRoot(String arch, String machine)
      throws Exception {
    Path out = work.resolve("spec-" + arch);
    build(layer("busybox-image") + osImage("spec", arch, List.of()) + CONTAINERS, out);

    QemuBoot.Result boot = boot(arch, out, "spec");

    assertThat(boot.markerSeen()).as(boot.console()).isTrue();
    assertThat(boot.linesStartingWith(ContainerInit.INIT))
        .as(boot.console())
        .containsExactly(
            "onboot 000-writer start",
            "onboot 000-writer exit=0",
            "service printer start",
            "service printer exit=0");
    assertThat(boot.linesStartingWith("LAMINA-ONBOOT")).containsExactly("uid=0", "root-writable");
    // CAP_KILL (5) and CAP_NET_BIND_SERVICE (10): 0x420.
    assertThat(boot.linesStartingWith("LAMINA-SERVICE"))
        .containsExactly(
            "onboot-file=written-by-onboot uid=1000 gid=1000 CapEff=0000000000000420",
            "root-readonly");
    String console = boot.console();
    assertThat(console.indexOf("LAMINA-ONBOOT uid=0"))
        .isLessThan(console.indexOf("LAMINA-SERVICE onboot-file="));
    assertThat(boot.linesStartingWith(ContainerInit.MARKER))
        .singleElement()
        .asString()
        .startsWith("arch=" + machine);
  }

  /** The OSImage's containers: both bind the host's /tmp (a tmpfs the init mounts) at /shared. */
  static final String CONTAINERS =
      """
            onboot:
              - name: writer
                layer: busybox-image
                env: ["PATH=/bin"]
                binds: ["/tmp:/shared"]
                command:
                  - /bin/sh
                  - -c
                  - >-
                    echo "LAMINA-ONBOOT uid=$(id -u)";
                    echo written-by-onboot > /shared/onboot-file;
                    if touch /probe 2>/dev/null; then echo LAMINA-ONBOOT root-writable;
                    else echo LAMINA-ONBOOT root-readonly; fi
            services:
              - name: printer
                layer: busybox-image
                env: ["PATH=/bin"]
                binds: ["/tmp:/shared"]
                readonly: true
                uid: 1000
                gid: 1000
                capabilities: [CAP_KILL, CAP_NET_BIND_SERVICE]
                ambient: [CAP_KILL, CAP_NET_BIND_SERVICE]
                command:
                  - /bin/sh
                  - -c
                  - >-
                    echo "LAMINA-SERVICE onboot-file=$(cat /shared/onboot-file)
                    uid=$(id -u) gid=$(id -g)
                    CapEff=$(grep CapEff /proc/self/status | cut -f2)";
                    if touch /probe 2>/dev/null; then echo LAMINA-SERVICE root-writable;
                    else echo LAMINA-SERVICE root-readonly; fi
          """;

  /** The containers' image: busybox-static with the applets their commands call. */
  private static LayerTree containerImage(String arch) {
    LayerTree tree =
        new LayerTree()
            .file("bin/busybox", 0755, DebianPackages.busybox(arch))
            .directory("proc", 0555)
            .directory("dev", 0755)
            .directory("sys", 0555)
            .directory("tmp", 01777);
    for (String applet : List.of("sh", "cat", "cut", "echo", "grep", "id", "touch")) {
      tree.symlink("bin/" + applet, "busybox");
    }
    return tree;
  }

  /**
   * Two onboot bundles as LinuxKit writes them: 000-hello read-only (its image on rootfs/,
   * runtime.json binds it on itself) with CAP_SETGID, CAP_SETUID, CAP_NET_BIND_SERVICE (bits 6, 7,
   * 10 = 0x4c0); 001-scratch writable (its image on lower/, runtime.json puts a tmpfs on tmp/ and
   * the overlay on rootfs/).
   */
  private static LayerTree handBundle(String arch) {
    LayerTree tree = new LayerTree();
    String hello = "containers/onboot/000-hello";
    handImage(tree, hello + "/rootfs/", arch);
    tree.file(
        hello + "/config.json",
        0644,
        TestImages.json(
            handConfig(
                List.of("CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE"),
                true,
                "echo \"LAMINA-HELLO uid=$(id -u) CapEff=$(grep CapEff /proc/self/status"
                    + " | cut -f2)\"; if touch /probe 2>/dev/null; then echo LAMINA-HELLO"
                    + " root-writable; else echo LAMINA-HELLO root-readonly; fi")));
    tree.file(
        hello + "/runtime.json",
        0644,
        TestImages.json(
            Map.of(
                "mounts",
                List.of(
                    Map.of(
                        "source",
                        "/" + hello + "/rootfs",
                        "destination",
                        "/" + hello + "/rootfs",
                        "options",
                        List.of("bind"))))));
    String scratch = "containers/onboot/001-scratch";
    handImage(tree, scratch + "/lower/", arch);
    tree.directory(scratch + "/tmp", 0755).directory(scratch + "/rootfs", 0755);
    tree.file(
        scratch + "/config.json",
        0644,
        TestImages.json(
            handConfig(
                List.of(),
                false,
                "echo scratch > /probe && echo \"LAMINA-HELLO overlay $(cat /probe)\"")));
    List<Object> mounts = new ArrayList<>();
    mounts.add(Map.of("source", "tmpfs", "type", "tmpfs", "destination", "/" + scratch + "/tmp"));
    mounts.add(
        Map.of("destination", "/" + scratch + "/tmp", "options", List.of("remount", "private")));
    mounts.add(
        Map.of(
            "source",
            "overlay",
            "type",
            "overlay",
            "destination",
            "/" + scratch + "/rootfs",
            "options",
            List.of(
                "lowerdir=/" + scratch + "/lower",
                "upperdir=/" + scratch + "/tmp/upper",
                "workdir=/" + scratch + "/tmp/work")));
    tree.file(scratch + "/runtime.json", 0644, TestImages.json(Map.of("mounts", mounts)));
    return tree;
  }

  private static void handImage(LayerTree tree, String root, String arch) {
    tree.file(root + "bin/busybox", 0755, DebianPackages.busybox(arch))
        .directory(root + "proc", 0555)
        .directory(root + "dev", 0755);
    for (String applet : List.of("sh", "cat", "id", "grep", "cut", "touch")) {
      tree.symlink(root + "bin/" + applet, "busybox");
    }
  }

  private static Map<String, Object> handConfig(
      List<String> caps, boolean readonly, String script) {
    Map<String, Object> process = new LinkedHashMap<>();
    process.put("terminal", false);
    process.put("user", Map.of("uid", 0, "gid", 0));
    process.put("args", List.of("/bin/sh", "-c", script));
    process.put("env", List.of("PATH=/bin"));
    process.put("cwd", "/");
    Map<String, Object> capabilities = new LinkedHashMap<>();
    for (String set : List.of("bounding", "effective", "permitted")) {
      capabilities.put(set, caps);
    }
    process.put("capabilities", capabilities);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("ociVersion", "1.0.2");
    config.put("process", process);
    config.put("root", Map.of("path", "rootfs", "readonly", readonly));
    config.put("hostname", "hello");
    config.put(
        "mounts",
        List.of(
            Map.of("destination", "/proc", "type", "proc", "source", "proc"),
            Map.of(
                "destination",
                "/dev",
                "type",
                "tmpfs",
                "source",
                "tmpfs",
                "options",
                List.of("nosuid", "strictatime", "mode=755", "size=65536k"))));
    List<Map<String, String>> namespaces = new ArrayList<>();
    for (String ns : List.of("pid", "ipc", "uts", "mount", "network")) {
      namespaces.add(Map.of("type", ns));
    }
    config.put("linux", Map.of("namespaces", namespaces));
    return config;
  }

  /** An OSImage of one architecture: the containers init, then {@code extra} init layers. */
  static String osImage(String name, String arch, List<String> extra) {
    List<String> tags =
        new ArrayList<>(List.of("busybox", "runc", "libseccomp2", "libc6", "containers-init"));
    tags.addAll(extra);
    StringBuilder doc = new StringBuilder();
    for (String tag : tags) {
      doc.append(layer(tag));
    }
    doc.append(layer("kernel"));
    doc.append(
        """
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata:
          name: %s
        spec:
          architectures: [%s]
          kernel:
            layer: kernel
            cmdline: "quiet"
          init: [%s]
        """
            .formatted(name, arch, String.join(", ", tags)));
    return doc.toString();
  }

  private static String layer(String tag) {
    return """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata:
          name: %s
        spec:
          image: oci:%s:%s
        ---
        """
        .formatted(tag, layout, tag);
  }

  static QemuBoot.Result boot(String arch, Path out, String name) throws Exception {
    Path dir = out.resolve(arch);
    return QemuBoot.boot(
        arch,
        dir.resolve("kernel"),
        dir.resolve("initrd.img"),
        Files.readString(dir.resolve("cmdline"), UTF_8),
        QemuHarnessIT.logDir().resolve("containers-" + name + "-" + arch + ".log"),
        ContainerInit.MARKER,
        TIMEOUT);
  }

  static void build(String yaml, Path outDir) throws Exception {
    Path file = work.resolve(outDir.getFileName() + ".yaml");
    Files.writeString(file, yaml, UTF_8);
    String jar = System.getProperty("lamina.jar", "target/lamina.jar");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        List.of(
            java.toString(),
            "-jar",
            jar,
            "build",
            "-f",
            file.toString(),
            "--out",
            outDir.toString());
    Path log = work.resolve(outDir.getFileName() + ".log");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    assertThat(done && p.exitValue() == 0)
        .as("%s\n%s", String.join(" ", command), Files.readString(log, UTF_8))
        .isTrue();
  }
}

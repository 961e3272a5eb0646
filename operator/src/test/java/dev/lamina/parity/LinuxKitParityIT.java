package dev.lamina.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.parity.ImageTar.Layer;
import dev.lamina.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LinuxKit and Lamina build the same inputs, and the trees they write are compared entry by entry:
 * path, type, permission bits, owner, contents or link target, and hard-link groups.
 *
 * <p>Optional: it runs when a {@code linuxkit} binary is named by the environment variable {@code
 * LINUXKIT} or the system property {@code lamina.linuxkit} ({@code hack/build-linuxkit.sh} builds
 * one from LinuxKit's source); otherwise it is skipped with the reason printed. A binary that is
 * named but does not run fails the test.
 *
 * <p>The images are served by docker-registry on loopback as two-architecture OCI indexes. LinuxKit
 * writes {@code -format tar}; Lamina writes {@code rootfs-tar} (plus its kernel and cmdline
 * artifacts, which LinuxKit puts in the tar as {@code boot/kernel} and {@code boot/cmdline}). A
 * third tree, {@code umoci raw unpack} of one image whose layers are all the init layers, the
 * kernel's modules tarball and the files in the same order, is the OCI image spec's answer: Lamina
 * must equal it, and every path where LinuxKit differs must be one of {@link #EXPECTED}, each with
 * the reason (DESIGN.md, "LinuxKit parity", keeps the same list).
 */
class LinuxKitParityIT {
  private static final List<String> ARCHS = List.of("amd64", "arm64");

  /** How LinuxKit's tree differs from Lamina's at one path. */
  enum Kind {
    ONLY_LINUXKIT,
    ONLY_LAMINA,
    DIFFERS
  }

  record Expected(Kind kind, String why) {}

  /**
   * Every path where LinuxKit's tree may differ from Lamina's for the inputs below, and why. A
   * difference not listed fails the test, and so does a listed one that no longer shows.
   */
  static final Map<String, Expected> EXPECTED = expected();

  private static Map<String, Expected> expected() {
    Map<String, Expected> m = new LinkedHashMap<>();
    // LinuxKit's union of layers (go-containerregistry's mutate.Extract per image, images
    // appended one after another) against the OCI changeset rules that Lamina and umoci follow.
    String opaque =
        "opaque whiteout ignored: mutate.Extract reads .wh..wh..opq as the whiteout of a file"
            + " named .wh..opq, so the lower layer's entries stay";
    m.put("usr/share/doc/a", new Expected(Kind.ONLY_LINUXKIT, opaque));
    m.put("usr/share/doc/b", new Expected(Kind.ONLY_LINUXKIT, opaque));
    m.put(
        "usr/share/doc/new",
        new Expected(
            Kind.ONLY_LINUXKIT,
            "opaque whiteout across images ignored: each image is flattened alone and appended,"
                + " so a later image cannot hide an earlier one's entries"));
    m.put(
        "etc/passwd",
        new Expected(
            Kind.ONLY_LINUXKIT,
            "whiteout across images ignored: the later image's .wh.passwd is dropped, the earlier"
                + " image's file stays"));
    String upward =
        "hard link to a lower layer's file: mutate.Extract walks the layers top down, so the link"
            + " comes before its target in the tar and extracting it fails; the pair is no longer"
            + " one inode";
    m.put("data/link", new Expected(Kind.DIFFERS, upward));
    m.put("data/original", new Expected(Kind.DIFFERS, upward));
    m.put(
        "data/keep-link",
        new Expected(
            Kind.DIFFERS,
            "hard link whose target a later layer deletes: the link still names the deleted path"
                + " and cannot be extracted; OCI keeps the file's contents under the link's name"));
    m.put(
        "lib/modules/6.1.0-parity-" + "%ARCH%" + "/modules.dep",
        new Expected(
            Kind.DIFFERS,
            "order: LinuxKit writes the kernel's kernel.tar before the init images, so an init"
                + " image wins over a module file at the same path; Lamina unpacks kernel.tar after"
                + " the init layers, so the kernel's file wins"));
    // LinuxKit's fix-ups of every image it unpacks (moby/build/image.go), not layer rules.
    String touch = "LinuxKit creates it in every image (dev, dev/pts, dev/shm, proc, sys)";
    for (String d : List.of("dev", "dev/pts", "dev/shm", "proc", "sys")) {
      m.put(d, new Expected(Kind.ONLY_LINUXKIT, touch));
    }
    m.put(
        "etc/hosts",
        new Expected(Kind.ONLY_LINUXKIT, "LinuxKit writes a fixed localhost hosts file"));
    m.put(
        "etc/mtab",
        new Expected(Kind.ONLY_LINUXKIT, "LinuxKit adds the symlink etc/mtab -> /proc/mounts"));
    m.put(
        "etc/resolv.conf",
        new Expected(
            Kind.ONLY_LINUXKIT,
            "LinuxKit makes it a symlink to /run/resolvconf/resolv.conf in init images"));
    m.put(
        "etc/hostname",
        new Expected(Kind.ONLY_LAMINA, "LinuxKit drops etc/hostname from every image"));
    // LinuxKit's files: section.
    String parents =
        "LinuxKit writes every parent directory of a files entry again, with a mode derived from"
            + " the file's (0640 -> 0750) and its owner, also a directory the image has (etc was"
            + " 0755); Lamina keeps existing directories and makes missing ones 0755 root, as"
            + " umoci does";
    m.put("etc", new Expected(Kind.DIFFERS, parents));
    m.put("etc/parity", new Expected(Kind.DIFFERS, parents));
    return m;
  }

  private static TestRegistry registry;
  private static Path linuxkit;
  private static Path home;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws IOException {
    linuxkit = linuxkitBinary();
    home = Files.createTempDirectory("lamina-parity-home");
    registry = TestRegistry.start();
    OciClient client = OciClient.create();
    ImageTar.pushIndex(repo(client, "kernel"), "1", ARCHS, Inputs::kernel, c -> {});
    ImageTar.pushIndex(repo(client, "base"), "1", ARCHS, Inputs::base, c -> {});
    ImageTar.pushIndex(repo(client, "extra"), "1", ARCHS, Inputs::extra, c -> {});
    ImageTar.pushIndex(
        repo(client, "onboot"),
        "1",
        ARCHS,
        Inputs::onboot,
        c -> {
          c.putArray("Entrypoint").add("/bin/tool");
          c.putArray("Cmd").add("start");
          c.putArray("Env").add("PATH=/bin").add("FROM=image");
          c.put("WorkingDir", "/var");
          c.putObject("Labels")
              .put(
                  "org.mobyproject.config",
                  "{\"binds\":[\"/run:/run\"],\"capabilities\":[\"CAP_SYS_ADMIN\"],"
                      + "\"env\":[\"FROM=label\"]}");
        });
    // The service runs the init image with the union cases: they now apply inside a container.
    ImageTar.pushIndex(
        repo(client, "service"),
        "1",
        ARCHS,
        Inputs::base,
        c -> {
          c.putArray("Cmd").add("/bin/tool").add("serve");
          c.putArray("Env").add("PATH=/bin");
        });
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (registry != null) {
      registry.close();
    }
    if (home != null) {
      try (var walk = Files.walk(home)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static OciRepository repo(OciClient client, String name) {
    return client.repository(registry.host() + "/parity/" + name);
  }

  /** The path of the linuxkit binary, or the test is skipped with the reason printed. */
  private static Path linuxkitBinary() {
    String named = System.getenv("LINUXKIT");
    if (named == null || named.isEmpty()) {
      named = System.getProperty("lamina.linuxkit", "");
    }
    if (named.isEmpty()) {
      String why =
          "LinuxKitParityIT skipped: no linuxkit binary (set LINUXKIT=path, built by"
              + " hack/build-linuxkit.sh LINUXKIT_SOURCE)";
      System.out.println(why);
      Assumptions.abort(why);
    }
    Path p = Path.of(named);
    assertThat(p).as("LINUXKIT names an executable").isExecutable();
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"amd64", "arm64"})
  void initLayersKernelModulesAndFiles(String arch) throws Exception {
    String host = registry.host();
    Path lkYaml = tmp.resolve("linuxkit.yml");
    Files.writeString(
        lkYaml,
        """
        kernel:
          image: %1$s/parity/kernel:1
          cmdline: "console=ttyS0 parity"
        init:
          - %1$s/parity/base:1
          - %1$s/parity/extra:1
        files:
          - path: etc/parity/greeting
            contents: "hello\\n"
            mode: "0640"
        """
            .formatted(host));
    Path laminaYaml = tmp.resolve("lamina.yaml");
    Files.writeString(
        laminaYaml,
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: "%1$s/parity/kernel:1", platforms: [linux/%2$s]}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: base}
        spec: {image: "%1$s/parity/base:1", platforms: [linux/%2$s]}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: extra}
        spec: {image: "%1$s/parity/extra:1", platforms: [linux/%2$s]}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: parity}
        spec:
          architectures: [%2$s]
          kernel: {layer: kernel, cmdline: "console=ttyS0 parity"}
          init: [base, extra]
          files:
            - {path: etc/parity/greeting, contents: "hello\\n", mode: "0640"}
          formats: [kernel+initrd, rootfs-tar]
        """
            .formatted(host, arch));

    Path lkTar = buildWithLinuxKit(arch, lkYaml);
    Path out = buildWithLamina(laminaYaml, "lamina");
    FsTree lk = tree(lkTar);
    FsTree lamina = tree(out.resolve(arch).resolve("rootfs.tar"));
    // The same linuxkit.yml that LinuxKit read, built by Lamina (imported in memory): its initrd
    // holds the same tree as the hand-written OSImage's rootfs.tar.
    Path imported = buildWithLamina(lkYaml, "imported", "--arch", arch);
    FsTree fromYaml;
    try (InputStream in =
        new java.util.zip.GZIPInputStream(
            Files.newInputStream(imported.resolve(arch).resolve("initrd.img")))) {
      fromYaml = FsTree.fromCpio(in);
    }
    assertThat(FsTree.diff(fromYaml, lamina))
        .as("lamina build -f linuxkit.yml against the hand-written OSImage")
        .isEmpty();
    assertThat(imported.resolve(arch).resolve("kernel"))
        .hasSameBinaryContentAs(out.resolve(arch).resolve("kernel"));
    FsTree reference = umociReference(arch);

    // LinuxKit carries the kernel and its command line in the tree; Lamina as artifacts.
    Map<String, byte[]> lkFiles = regularFiles(lkTar, Set.of("boot/kernel", "boot/cmdline"));
    assertThat(lkFiles.get("boot/kernel"))
        .isEqualTo(Files.readAllBytes(out.resolve(arch).resolve("kernel")));
    assertThat(new String(lkFiles.get("boot/cmdline"), StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(out.resolve(arch).resolve("cmdline")));
    FsTree lkRoot = lk.without(Set.of("boot"));

    Map<String, List<String>> laminaVsReference = FsTree.diff(lamina, reference);
    Map<String, List<String>> lkVsLamina = FsTree.diff(lkRoot, lamina);
    report(arch, lkRoot, lamina, reference, lkVsLamina, laminaVsReference);

    assertThat(lamina.problems).as("Lamina's tar extracts cleanly").isEmpty();
    assertThat(laminaVsReference).as("Lamina against umoci (the OCI changeset rules)").isEmpty();
    Map<String, Kind> actual = new TreeMap<>();
    lkVsLamina.forEach((p, d) -> actual.put(p, kind(d)));
    Map<String, Kind> expected = new TreeMap<>();
    EXPECTED.forEach((p, e) -> expected.put(p.replace("%ARCH%", arch), e.kind()));
    assertThat(actual).as("LinuxKit's differences from Lamina").isEqualTo(expected);
    assertThat(lk.problems.keySet())
        .as("entries of LinuxKit's tar that cannot be extracted")
        .containsExactly("data/keep-link", "data/link");
  }

  /**
   * Onboot and service containers: the trees of {@code containers/}, and each {@code config.json}
   * and {@code runtime.json} field by field ({@link SpecFields}).
   */
  @ParameterizedTest
  @ValueSource(strings = {"amd64", "arm64"})
  void containersLikeLinuxKit(String arch) throws Exception {
    String host = registry.host();
    String containers =
        """
        onboot:
          - name: hello
            %3$s: %1$s
            command: ["/bin/tool", "onboot"]
          - name: again
            %3$s: %1$s
            readonly: true
        services:
          - name: svc
            %3$s: %2$s
            readonly: true
            capabilities: [CAP_NET_ADMIN, CAP_NET_BIND_SERVICE]
            uid: 1000
            gid: 1000
            additionalGids: [100]
            net: host
            env: ["MODE=parity"]
            cwd: /data
            tmpfs: ["/tmp:size=1m"]
            binds: ["/var/log:/var/log:rw"]
            rlimits: ["nofile,1024,4096"]
            sysctl: {net.ipv4.ip_forward: "1"}
            runtime:
              mkdir: ["/var/lib/svc"]
        """;
    Path lkYaml = tmp.resolve("linuxkit.yml");
    Files.writeString(
        lkYaml,
        containers.formatted(host + "/parity/onboot:1", host + "/parity/service:1", "image"));
    Path laminaYaml = tmp.resolve("lamina.yaml");
    Files.writeString(
        laminaYaml,
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: onboot}
        spec: {image: "%1$s/parity/onboot:1", platforms: [linux/%2$s]}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: service}
        spec: {image: "%1$s/parity/service:1", platforms: [linux/%2$s]}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: parity}
        spec:
          architectures: [%2$s]
          formats: [rootfs-tar]
        """
                .formatted(host, arch)
            + containers.formatted("onboot", "service", "layer").indent(2));

    Path lkTar = buildWithLinuxKit(arch, lkYaml);
    Path out = buildWithLamina(laminaYaml, "lamina");
    FsTree lk = tree(lkTar);
    keep(out.resolve(arch).resolve("rootfs.tar"), arch);
    FsTree lamina = tree(out.resolve(arch).resolve("rootfs.tar"));
    // The same linuxkit.yml built by Lamina: the very same bytes as the hand-written OSImage.
    Path imported = buildWithLamina(lkYaml, "imported", "--arch", arch);
    assertThat(imported.resolve(arch).resolve("rootfs.tar"))
        .hasSameBinaryContentAs(out.resolve(arch).resolve("rootfs.tar"));
    assertThat(lamina.contains("containers")).as("Lamina wrote containers/").isTrue();

    // Each container's image in Lamina's tree against umoci's unpack of that image.
    Map<String, List<String>> laminaVsUmoci = new TreeMap<>();
    Map<String, FsTree> references = new TreeMap<>();
    references.put("containers/onboot/000-hello/lower", umoci("onboot", arch, Inputs.onboot(arch)));
    references.put("containers/services/svc/rootfs", umoci("service", arch, Inputs.base(arch)));
    references.forEach(
        (dir, ref) ->
            FsTree.diff(lamina.subtree(dir), ref)
                .forEach((p, d) -> laminaVsUmoci.put(dir + "/" + p, d)));

    Map<String, List<String>> specDiff = new TreeMap<>();
    int specFields = 0;
    Set<String> json = new java.util.TreeSet<>();
    for (String dir :
        List.of(
            "containers/onboot/000-hello",
            "containers/onboot/001-again",
            "containers/services/svc")) {
      json.add(dir + "/config.json");
      json.add(dir + "/runtime.json");
    }
    for (String file : json) {
      Map<String, byte[]> a = regularFiles(lkTar, Set.of(file));
      Map<String, byte[]> b = regularFiles(out.resolve(arch).resolve("rootfs.tar"), Set.of(file));
      assertThat(a).as("LinuxKit wrote " + file).containsKey(file);
      if (!b.containsKey(file)) {
        specDiff.put(file, List.of("present", "absent"));
        continue;
      }
      Map<String, String> lkFields = SpecFields.of(a.get(file));
      specFields += lkFields.size();
      SpecFields.diff(lkFields, SpecFields.of(b.get(file)))
          .forEach((k, v) -> specDiff.put(file + k, v));
    }
    Map<String, List<String>> treeDiff =
        FsTree.diff(lk.contentIgnored(json), lamina.contentIgnored(json));
    StringBuilder s = new StringBuilder();
    s.append(
        ("parity containers %s: %d paths compared (LinuxKit %d, Lamina %d), %d differ; %d fields of"
                + " %d config.json/runtime.json files compared, %d differ; %d paths of container"
                + " images differ from umoci's unpack%n")
            .formatted(
                arch,
                union(lk, lamina).size(),
                lk.size(),
                lamina.size(),
                treeDiff.size(),
                specFields,
                json.size(),
                specDiff.size(),
                laminaVsUmoci.size()));
    treeDiff.forEach(
        (p, d) ->
            s.append(
                "  %-50s %-13s linuxkit: %s | lamina: %s%n"
                    .formatted(p, kind(d), d.get(0), d.get(1))));
    specDiff.forEach(
        (p, d) ->
            s.append("  spec %s: linuxkit %s | lamina %s%n".formatted(p, d.get(0), d.get(1))));
    laminaVsUmoci.forEach(
        (p, d) -> s.append("  lamina/umoci %s: %s | %s%n".formatted(p, d.get(0), d.get(1))));
    System.out.print(s);

    assertThat(lamina.problems).as("Lamina's tar extracts cleanly").isEmpty();
    assertThat(laminaVsUmoci.keySet())
        .as("each container's image in Lamina's tree against umoci's unpack")
        .isEqualTo(EXPECTED_LAMINA_ADDITIONS);

    Map<String, Kind> actual = new TreeMap<>();
    treeDiff.forEach((p, d) -> actual.put(p, kind(d)));
    Map<String, Kind> expected = new TreeMap<>();
    EXPECTED_CONTAINERS.forEach((p, e) -> expected.put(p, e.kind()));
    assertThat(actual).as("LinuxKit's container trees against Lamina's").isEqualTo(expected);
    assertThat(specFields).as("fields compared").isGreaterThan(100);
    assertThat(specDiff.keySet())
        .as("config.json and runtime.json fields where LinuxKit and Lamina differ")
        .isEqualTo(EXPECTED_SPEC.keySet());
  }

  /** Paths of the container trees where LinuxKit may differ from Lamina, and why. */
  static final Map<String, Expected> EXPECTED_CONTAINERS = expectedContainers();

  private static Map<String, Expected> expectedContainers() {
    Map<String, Expected> m = new LinkedHashMap<>();
    String svc = "containers/services/svc/rootfs/";
    // The union differences of init images, now inside the service's image (same reasons).
    for (String p : List.of("usr/share/doc/a", "usr/share/doc/b", "data/link", "data/original")) {
      m.put(svc + p, EXPECTED.get(p));
    }
    m.put(svc + "data/keep-link", EXPECTED.get("data/keep-link"));
    String resolv =
        "both write a resolv.conf holding only a comment (no name server); the comment's words"
            + " are Lamina's own";
    m.put(svc + "etc/resolv.conf", new Expected(Kind.DIFFERS, resolv));
    m.put("containers/onboot/000-hello/lower/etc/resolv.conf", new Expected(Kind.DIFFERS, resolv));
    return m;
  }

  /** Paths a container's image has in Lamina's tree beyond umoci's unpack of the image. */
  static final Set<String> EXPECTED_LAMINA_ADDITIONS = expectedLaminaAdditions();

  /**
   * Lamina gives container images LinuxKit's fix-ups (LinuxKit's init and the containers in its
   * packages expect them), so they differ from the bare image: dev, dev/pts, dev/shm, proc, sys,
   * etc/hosts, etc/mtab and etc/resolv.conf are added, etc/hostname is dropped. Init images get
   * none of this.
   */
  private static Set<String> expectedLaminaAdditions() {
    Set<String> s = new java.util.TreeSet<>();
    for (String dir :
        List.of("containers/onboot/000-hello/lower", "containers/services/svc/rootfs")) {
      for (String p :
          List.of(
              "dev",
              "dev/pts",
              "dev/shm",
              "proc",
              "sys",
              "etc/hosts",
              "etc/mtab",
              "etc/resolv.conf",
              "etc/hostname")) {
        s.add(dir + "/" + p);
      }
    }
    return s;
  }

  /** config.json / runtime.json fields where LinuxKit may differ from Lamina, and why. */
  static final Map<String, String> EXPECTED_SPEC = new LinkedHashMap<>();

  private Path buildWithLinuxKit(String arch, Path yaml) throws Exception {
    run(
        List.of(
            linuxkit.toString(),
            "build",
            "--format",
            "tar",
            "--arch",
            arch,
            "--no-sbom",
            "--cache",
            tmp.resolve("lk-cache").toString(),
            "--dir",
            tmp.toString(),
            "--name",
            "linuxkit",
            yaml.toString()));
    Path tar = tmp.resolve("linuxkit.tar");
    keep(tar, arch);
    return tar;
  }

  /**
   * With {@code -Dlamina.parity.keep=DIR}, copies {@code file} to {@code DIR/<test>-<arch>-<name>}
   * for a closer look at a difference.
   */
  private static void keep(Path file, String arch) throws IOException {
    String dir = System.getProperty("lamina.parity.keep", "");
    if (dir.isEmpty()) {
      return;
    }
    String test =
        StackWalker.getInstance()
            .walk(
                f ->
                    f.map(StackWalker.StackFrame::getMethodName)
                        .filter(n -> n.startsWith("init") || n.startsWith("containers"))
                        .findFirst()
                        .orElse("test"));
    Path target = Path.of(dir).resolve(test + "-" + arch + "-" + file.getFileName());
    Files.createDirectories(target.getParent());
    Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private Path buildWithLamina(Path yaml, String name, String... more) throws Exception {
    Path out = tmp.resolve(name);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                System.getProperty("lamina.jar"),
                "build",
                "-f",
                yaml.toString(),
                "--out",
                out.toString()));
    cmd.addAll(List.of(more));
    run(cmd);
    return out;
  }

  private static FsTree tree(Path tar) throws IOException {
    try (InputStream in = Files.newInputStream(tar)) {
      return FsTree.fromTar(in);
    }
  }

  private static Kind kind(List<String> d) {
    return d.get(1) == null
        ? Kind.ONLY_LINUXKIT
        : d.get(0) == null ? Kind.ONLY_LAMINA : Kind.DIFFERS;
  }

  private static void report(
      String arch,
      FsTree lk,
      FsTree lamina,
      FsTree reference,
      Map<String, List<String>> lkVsLamina,
      Map<String, List<String>> laminaVsReference) {
    StringBuilder s = new StringBuilder();
    s.append(
        "parity %s: %d paths compared (LinuxKit %d, Lamina %d, umoci %d), %d differ between LinuxKit and Lamina, %d between Lamina and umoci; hard-link groups LinuxKit %d, Lamina %d, umoci %d%n"
            .formatted(
                arch,
                union(lk, lamina).size(),
                lk.size(),
                lamina.size(),
                reference.size(),
                lkVsLamina.size(),
                laminaVsReference.size(),
                lk.hardLinkGroups(),
                lamina.hardLinkGroups(),
                reference.hardLinkGroups()));
    lkVsLamina.forEach(
        (p, d) ->
            s.append(
                "  %-28s %-13s linuxkit: %s | lamina: %s | umoci: %s%s%n"
                    .formatted(
                        p,
                        kind(d),
                        d.get(0),
                        d.get(1),
                        reference.describe(p),
                        lk.problems.containsKey(p) ? " (" + lk.problems.get(p) + ")" : "")));
    laminaVsReference.forEach(
        (p, d) -> s.append("  lamina/umoci %s: %s | %s%n".formatted(p, d.get(0), d.get(1))));
    System.out.print(s);
  }

  private static Set<String> union(FsTree a, FsTree b) {
    Set<String> all = new java.util.TreeSet<>(a.paths());
    all.addAll(b.paths());
    return all;
  }

  /**
   * What the OCI image spec makes of the same inputs: one image whose layers are the init layers,
   * the kernel's modules tarball and the files, in Lamina's order, unpacked by umoci.
   */
  private FsTree umociReference(String arch) throws Exception {
    List<Layer> layers = new ArrayList<>();
    layers.addAll(Inputs.base(arch));
    layers.addAll(Inputs.extra(arch));
    layers.add(Layer.plain(Inputs.modules(arch)));
    layers.add(Layer.plain(Inputs.files()));
    return umoci("reference", arch, layers);
  }

  /** {@code umoci raw unpack} of one image made of {@code layers}, in an OCI layout. */
  private FsTree umoci(String name, String arch, List<Layer> layers) throws Exception {
    Path layout = tmp.resolve(name + "-layout");
    OciRepository repo = OciClient.create().repository("oci:" + layout + ":ref");
    ImageTar.pushManifest(repo, arch, layers, c -> {}, "ref");
    Path rootfs = tmp.resolve(name + "-rootfs");
    run(List.of("umoci", "raw", "unpack", "--image", layout + ":ref", rootfs.toString()));
    return FsTree.fromDirectory(rootfs);
  }

  private static Map<String, byte[]> regularFiles(Path tar, Set<String> names) throws IOException {
    Map<String, byte[]> found = new TreeMap<>();
    try (var in =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            Files.newInputStream(tar))) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String n = FsTree.normalize(e.getName());
        if (names.contains(n) && e.isFile()) {
          found.put(n, in.readAllBytes());
        }
      }
    }
    return found;
  }

  static String run(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // LinuxKit keeps state under $HOME/.moby: a home of the test's own.
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish in 5 minutes");
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + text).isZero();
    return text;
  }
}

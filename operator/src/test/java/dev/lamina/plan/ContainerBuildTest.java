package dev.lamina.plan;

import static dev.lamina.testing.TestLayers.Entry.dir;
import static dev.lamina.testing.TestLayers.Entry.file;
import static dev.lamina.testing.TestLayers.Entry.hardlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lamina.api.Compression;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileSpec;
import dev.lamina.api.OutputFormat;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.testing.TestLayers;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers in a built image (rootfs-tar, read back): laid out as LinuxKit lays them out, each
 * image unioned correctly (whiteouts, opaque directories, hard links across its layers), and the
 * same bytes for the same inputs. Layers come from OCI layouts.
 */
class ContainerBuildTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @TempDir Path tmp;
  OciClient client;
  BuildPlan.LayerRef app;
  BuildPlan.LayerRef tools;

  /** Two layers: the second whites out a file, makes a directory opaque and hard-links a file. */
  @BeforeEach
  void images() throws IOException {
    client = OciClient.builder().credentials(DockerConfig.empty()).build();
    app =
        image(
            "app",
            "{\"Entrypoint\":[\"/bin/app\"],\"Env\":[\"A=1\"],\"Labels\":{\"org.mobyproject.config\":"
                + "\"{\\\"capabilities\\\":[\\\"CAP_NET_ADMIN\\\"],\\\"pid\\\":\\\"host\\\"}\"}}",
            TestLayers.tarGz(
                file("bin/app", "APP"),
                file("etc/gone", "old"),
                dir("opt/dir"),
                file("opt/dir/a", "a"),
                file("opt/dir/b", "b"),
                file(".dockerenv", ""),
                file("etc/hosts", "10.0.0.1 build-host\n")),
            TestLayers.tarGz(
                file("etc/.wh.gone", ""),
                file("opt/dir/.wh..wh..opq", ""),
                file("opt/dir/c", "c"),
                hardlink("bin/app-link", "bin/app")));
    tools = image("tools", "{}", TestLayers.tarGz(file("share/key.pub", "ssh-ed25519 AAAA")));
  }

  private BuildPlan.LayerRef image(String name, String config, byte[]... blobs) throws IOException {
    OciRepository repo = client.repository("oci:" + tmp.resolve("layouts/" + name));
    List<Descriptor> layers = new ArrayList<>();
    for (byte[] b : blobs) {
      layers.add(TestLayers.pushBlob(repo, b, MediaTypes.OCI_LAYER_GZIP));
    }
    byte[] cfg =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":" + config + "}")
            .getBytes(StandardCharsets.UTF_8);
    Descriptor c = TestLayers.pushBlob(repo, cfg, MediaTypes.OCI_CONFIG);
    Descriptor m =
        repo.pushManifest(
            ImageManifest.of(null, c, layers, Map.of()).toJson(), MediaTypes.OCI_MANIFEST, null);
    return new BuildPlan.LayerRef(name, "oci:" + tmp.resolve("layouts/" + name), m.digest());
  }

  /** A YAML flow value (which KubernetesSerialization would take for JSON) as a {@code type}. */
  static <T> T yaml(String flow, Class<T> type) {
    Object v = YAML.unmarshal("v: " + flow, Map.class).get("v");
    return YAML.convertValue(v, type);
  }

  static List<ContainerSpec> containers(String flow) {
    return List.of(yaml(flow, ContainerSpec[].class));
  }

  private BuildPlan plan(
      List<ContainerSpec> onboot, List<ContainerSpec> services, List<FileSpec> files) {
    Map<String, BuildPlan.LayerRef> layers = new LinkedHashMap<>();
    layers.put("app", app);
    layers.put("tools", tools);
    BuildPlan plan =
        new BuildPlan(
            "default/edge",
            null,
            Map.of("amd64", new BuildPlan.ArchPlan(null, List.of(), null, layers)),
            null,
            files,
            List.of(OutputFormat.ROOTFS_TAR),
            Compression.gzip,
            0,
            null,
            null,
            null,
            new BuildPlan.ContainersPlan(onboot, null, services));
    return plan.withInputDigest(InputDigest.of(plan));
  }

  private Map<String, TarArchiveEntry> entries;
  private Map<String, String> contents;

  private Path build(BuildPlan plan, String out) throws Exception {
    Path dir = tmp.resolve(out);
    new Builder(client, tmp, line -> {}).assemble(plan, "amd64", dir);
    entries = new LinkedHashMap<>();
    contents = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(dir.resolve(ArtifactTypes.ROOTFS_FILE));
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String name = e.getName().replaceAll("/$", "");
        entries.put(name, e);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        tar.transferTo(b);
        contents.put(name, b.toString(StandardCharsets.UTF_8));
      }
    }
    return dir;
  }

  @Test
  void readonlyServiceImageIsUnionedCorrectlyUnderRootfs() throws Exception {
    build(plan(null, containers("[{name: x, layer: app, readonly: true}]"), null), "out");
    String root = "containers/services/x/rootfs/";

    assertThat(contents.get(root + "bin/app")).isEqualTo("APP");
    assertThat(entries).doesNotContainKey(root + "etc/gone");
    assertThat(entries).containsKey(root + "opt/dir/c");
    assertThat(entries).doesNotContainKeys(root + "opt/dir/a", root + "opt/dir/b");
    TarArchiveEntry link = entries.get(root + "bin/app-link");
    assertThat(link.isLink()).isTrue();
    assertThat(link.getLinkName()).isEqualTo(root + "bin/app");
    // LinuxKit's changes to a container image.
    assertThat(entries).doesNotContainKey(root + ".dockerenv");
    assertThat(contents.get(root + "etc/hosts")).startsWith("127.0.0.1       localhost\n");
    assertThat(entries.get(root + "etc/mtab").getLinkName()).isEqualTo("/proc/mounts");
    assertThat(entries)
        .containsKeys(root + "proc", root + "sys", root + "dev/pts", root + "dev/shm");
    assertThat(entries)
        .doesNotContainKeys("containers/services/x/lower", "containers/services/x/tmp");

    String runtime = contents.get("containers/services/x/runtime.json");
    assertThat(runtime)
        .contains(
            "\"destination\": \"/containers/services/x/rootfs\"",
            "\"source\": \"/containers/services/x/rootfs\"");
    String config = contents.get("containers/services/x/config.json");
    assertThat(config).contains("\"/bin/app\"", "\"CAP_NET_ADMIN\"", "\"readonly\": true");
    assertThat(config).doesNotContain("\"type\": \"pid\"");
  }

  @Test
  void writableContainersGetLowerAndTmpAndShareAnImageUnpackedOnce() throws Exception {
    build(
        plan(
            containers("[{name: first, layer: app}, {name: second, layer: tools}]"),
            containers("[{name: svc, layer: app, command: [/bin/app, serve]}]"),
            null),
        "out");

    assertThat(contents.get("containers/onboot/000-first/lower/bin/app")).isEqualTo("APP");
    assertThat(entries)
        .containsKeys(
            "containers/onboot/000-first/tmp",
            "containers/onboot/000-first/rootfs",
            "containers/onboot/001-second/lower/share/key.pub",
            "containers/services/svc/config.json",
            "containers/services/svc/rootfs",
            "containers/services/svc/tmp");
    assertThat(entries.get("containers/onboot/000-first/rootfs").isDirectory()).isTrue();
    assertThat(entries.keySet()).noneMatch(k -> k.startsWith("containers/services/svc/lower"));
    assertThat(contents.get("containers/services/svc/runtime.json"))
        .contains(
            "\"lowerdir=/containers/onboot/000-first/lower\"",
            "\"upperdir=/containers/services/svc/tmp/upper\"");
    assertThat(contents.get("containers/services/svc/config.json")).contains("\"serve\"");
  }

  @Test
  void filesFromALayerMetadataAndOwnersByContainerName() throws Exception {
    FileSpec key =
        yaml(
            "{path: root/.ssh/authorized_keys, source: {layer: tools, path: /share/key.pub}, uid: svc, mode: '0600'}",
            FileSpec.class);
    FileSpec missing =
        yaml(
            "{path: etc/optional, source: {layer: tools, path: nope}, optional: true}",
            FileSpec.class);
    FileSpec meta = yaml("{path: etc/linuxkit.yml, metadata: yaml}", FileSpec.class);
    build(
        plan(
            containers("[{name: first, layer: app}]"),
            containers("[{name: svc, layer: app}]"),
            List.of(key, missing, meta)),
        "out");

    assertThat(contents.get("root/.ssh/authorized_keys")).isEqualTo("ssh-ed25519 AAAA");
    assertThat(entries.get("root/.ssh/authorized_keys").getLongUserId()).isEqualTo(101);
    assertThat(entries).doesNotContainKey("etc/optional");
    assertThat(contents.get("etc/linuxkit.yml"))
        .contains("image: \"oci:" + tmp.resolve("layouts/app") + "@" + app.digest() + "\"")
        .contains("name: \"svc\"");

    FileSpec absent = yaml("{path: etc/x, source: {layer: tools, path: nope}}", FileSpec.class);
    assertThatThrownBy(
            () ->
                build(plan(null, containers("[{name: svc, layer: app}]"), List.of(absent)), "bad"))
        .hasMessageContaining(
            "spec.files[0].source: \"nope\" is not a regular file in Layer \"tools\"");
  }

  @Test
  void sameInputsGiveTheSameBytes() throws Exception {
    BuildPlan plan =
        plan(
            containers("[{name: a, layer: app, readonly: true}, {name: b, layer: tools}]"),
            containers("[{name: svc, layer: app, sysctl: {b: '1', a: '2'}}]"),
            null);
    Path one = build(plan, "one");
    Path two = build(plan, "two");
    assertThat(Files.readAllBytes(two.resolve(ArtifactTypes.ROOTFS_FILE)))
        .isEqualTo(Files.readAllBytes(one.resolve(ArtifactTypes.ROOTFS_FILE)));
  }

  @Test
  void containerFieldsChangeTheInputDigestAndAnImageWithoutContainersKeepsIt() {
    BuildPlan a = plan(null, containers("[{name: svc, layer: app}]"), null);
    BuildPlan b = plan(null, containers("[{name: svc, layer: app, readonly: true}]"), null);
    BuildPlan c = plan(null, containers("[{name: svc, layer: app, runtime: {mkdir: [/x]}}]"), null);
    assertThat(a.inputDigest()).isNotEqualTo(b.inputDigest()).isNotEqualTo(c.inputDigest());
    assertThat(b.inputDigest()).isNotEqualTo(c.inputDigest());
  }

  @Test
  void anUnsupportedLabelKeyFailsTheBuildNamingIt() throws Exception {
    BuildPlan.LayerRef odd =
        image(
            "odd",
            "{\"Labels\":{\"org.mobyproject.config\":\"{\\\"userns\\\":\\\"new\\\"}\"}}",
            TestLayers.tarGz(file("x", "x")));
    Map<String, BuildPlan.LayerRef> layers = Map.of("odd", odd);
    BuildPlan plan =
        new BuildPlan(
            "default/edge",
            "sha256:" + "0".repeat(64),
            Map.of("amd64", new BuildPlan.ArchPlan(null, List.of(), null, layers)),
            null,
            null,
            List.of(OutputFormat.ROOTFS_TAR),
            Compression.gzip,
            0,
            null,
            null,
            null,
            new BuildPlan.ContainersPlan(null, null, containers("[{name: o, layer: odd}]")));
    assertThatThrownBy(() -> build(plan, "odd"))
        .isInstanceOf(BuildException.class)
        .hasMessageContaining(
            "spec.services[0]: label org.mobyproject.config of Layer \"odd\": key userns is not supported");
  }
}

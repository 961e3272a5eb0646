package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.linuxkit.LinuxKitYaml;
import dev.lamina.linuxkit.RegistryMap;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code lamina import} over LinuxKit's own examples, every image they name served by a real
 * registry on loopback (under {@code hub/}, reached through {@code --registry-map}).
 */
class ImportCommandIT {
  static final Path EXAMPLES = Path.of("src/test/resources/linuxkit");
  static TestRegistry registry;

  /** The digest of the index pushed for each image reference as LinuxKit writes it. */
  static final Map<String, String> pushed = new TreeMap<>();

  @TempDir Path tmp;

  @BeforeAll
  static void serveEveryImageOfTheExamples() throws Exception {
    registry = TestRegistry.start();
    OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
    RegistryMap map = hubMap();
    List<String> images = new ArrayList<>();
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
        if (f.getFileName().toString().equals("static-ip.yml")) {
          continue;
        }
        collectImages(LinuxKitYaml.read(Files.readString(f), f.toString()).root(), images);
      }
    }
    for (String image : images) {
      if (pushed.containsKey(image)) {
        continue;
      }
      OciReference ref = OciReference.parse(map.apply(image));
      byte[] blob = TestLayers.tarGz(TestLayers.Entry.file("image-of", image));
      Descriptor index =
          TestLayers.pushImage(
              client.repository(ref),
              ref.tag(),
              Map.of("amd64", List.of(blob), "arm64", List.of(blob)));
      pushed.put(image, index.digest());
    }
  }

  @SuppressWarnings("unchecked")
  static void collectImages(Object node, List<String> into) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            if (k.equals("image") && v instanceof String s) {
              into.add(s);
            } else if (k.equals("init")) {
              into.addAll((List<String>) v);
            } else {
              collectImages(v, into);
            }
          });
    } else if (node instanceof List<?> l) {
      l.forEach(i -> collectImages(i, into));
    }
  }

  static RegistryMap hubMap() {
    return RegistryMap.parse(List.of(mapRule()));
  }

  static String mapRule() {
    return "docker.io=" + registry.host() + "/hub";
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  CliRun importExample(String name, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(EXAMPLES.resolve(name).toString(), "--registry-map", mapRule(), "-n", "lk"));
    args.addAll(List.of(more));
    return CliRun.inProcess("import", args.toArray(String[]::new));
  }

  static List<String> reported(CliRun r, String marker) {
    return r.err()
        .lines()
        .filter(l -> l.contains(marker))
        .map(l -> l.substring(l.indexOf(marker) + marker.length()))
        .toList();
  }

  static Stream<Arguments> examples() {
    return Stream.of(
        Arguments.of("minimal.yml", List.of()),
        Arguments.of("getty.yml", List.of()),
        Arguments.of("redis-os.yml", List.of()),
        Arguments.of("node_exporter.yml", List.of()),
        Arguments.of("swap.yml", List.of()),
        Arguments.of("wireguard.yml", List.of()),
        Arguments.of("cadvisor.yml", List.of()),
        Arguments.of("docker-for-mac.yml", List.of()),
        Arguments.of(
            "sshd.yml",
            List.of(
                "files[0].source (line 30): a path on the building machine; Lamina reads no host"
                    + " files when it builds (the build stays hermetic): put the file in a Layer"
                    + " and name it in source.layer and source.path (\"~/.ssh/id_rsa.pub\"; the"
                    + " file is left out)")),
        Arguments.of(
            "platform-equinixmetal.yml",
            List.of(
                "files[0].source (line 36): a path on the building machine; Lamina reads no host"
                    + " files when it builds (the build stays hermetic): put the file in a Layer"
                    + " and name it in source.layer and source.path (\"~/.ssh/id_rsa.pub\"; the"
                    + " file is left out)")),
        Arguments.of(
            "volumes.yml",
            List.of(
                "volumes (line 39): Lamina has no volumes: put the files in a Layer (init) or a"
                    + " container's own image (blank, alpine left out)",
                "services[2].binds[1] (line 37): \"blank:/blank\" binds the LinuxKit volume blank,"
                    + " and Lamina has no volumes",
                "services[2].binds[2] (line 38): \"alpine:/alpine\" binds the LinuxKit volume"
                    + " alpine, and Lamina has no volumes")));
  }

  @ParameterizedTest
  @MethodSource("examples")
  void eachExampleImportsOrSaysExactlyWhatItCannotExpress(String name, List<String> lost)
      throws Exception {
    CliRun strict = importExample(name);
    if (lost.isEmpty()) {
      assertThat(strict.exit()).as(strict.err()).isZero();
    } else {
      assertThat(strict.exit()).as(strict.err()).isEqualTo(ImportCommand.LOSS);
      assertThat(strict.out()).isEmpty();
      assertThat(reported(strict, "cannot express: ")).containsExactlyElementsOf(lost);
    }
    CliRun r = lost.isEmpty() ? strict : importExample(name, "--allow-loss");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(reported(r, "left out: ")).containsExactlyElementsOf(lost);

    // What was written is what kubectl would apply: Lamina objects that pass the offline checks.
    Path out = tmp.resolve("out.yaml");
    Files.writeString(out, r.out());
    ResourceFiles res = ResourceFiles.read(List.of(out));
    assertThat(res.osImages()).hasSize(1);
    OSImage image = res.osImages().get(0).object();
    assertThat(image.getMetadata().getName()).isEqualTo(name.replace(".yml", "").replace('_', '-'));
    assertThat(image.getMetadata().getNamespace()).isEqualTo("lk");

    // Every image is a Layer pinned by the digest the registry serves, each image once.
    LinuxKitYaml.Tree tree = LinuxKitYaml.read(Files.readString(EXAMPLES.resolve(name)), name);
    List<String> images = new ArrayList<>();
    collectImages(tree.root(), images);
    List<Layer> layers = res.layers().stream().map(ResourceFiles.Source::object).toList();
    List<String> expected =
        images.stream().distinct().map(i -> pinned(i)).distinct().sorted().toList();
    assertThat(layers.stream().map(l -> l.getSpec().getImage()).sorted().toList())
        .containsExactlyElementsOf(expected);
    assertThat(image.getSpec().layerNames())
        .allMatch(n -> layers.stream().anyMatch(l -> l.getMetadata().getName().equals(n)));

    // The same file gives the same bytes.
    CliRun again = lost.isEmpty() ? importExample(name) : importExample(name, "--allow-loss");
    assertThat(again.out()).isEqualTo(r.out());
  }

  static String pinned(String image) {
    OciReference ref = OciReference.parse(hubMap().apply(image));
    return ref.repository() + ":" + ref.tag() + "@" + pushed.get(image);
  }

  @Test
  void minimalBecomesTheseObjects() throws Exception {
    CliRun r = importExample("minimal.yml", "--arch", "amd64");
    assertThat(r.exit()).as(r.err()).isZero();
    String kernel = pinned("linuxkit/kernel:6.12.59");
    String kernelLayer = "kernel-" + pushed.get("linuxkit/kernel:6.12.59").substring(7, 17);
    assertThat(r.out())
        .contains(
            "---\napiVersion: lamina.dev/v1alpha1\nkind: Layer\nmetadata:\n  name: "
                + kernelLayer
                + "\n  namespace: lk\nspec:\n  image: "
                + kernel
                + "\n  platforms:\n  - linux/amd64\n");
    assertThat(r.out()).contains("kind: OSImage\nmetadata:\n  name: minimal\n  namespace: lk\n");
    assertThat(r.out())
        .contains(
            "  kernel:\n    layer: "
                + kernelLayer
                + "\n    cmdline: console=tty0 console=ttyS0 console=ttyAMA0\n");
    assertThat(r.out()).contains("    command:\n    - /sbin/dhcpcd\n    - --nobackground\n");
    assertThat(r.out()).contains("    env:\n    - INSECURE=true\n");
  }

  @Test
  void aMissingImageFailsWithItsName() throws Exception {
    Path yml = tmp.resolve("missing.yml");
    Files.writeString(yml, "kernel:\n  image: linuxkit/kernel:no-such-tag\n");
    CliRun r = CliRun.inProcess("import", yml.toString(), "--registry-map", mapRule());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("hub/linuxkit/kernel").contains("no-such-tag");
  }

  @Test
  void badInputExitsTwoAndWritesNothing() throws Exception {
    Path out = tmp.resolve("never.yaml");
    CliRun r = importExample("dm-crypt-loop.yml", "-o", out.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains(
            "dm-crypt-loop.yml: onboot[6].name (line 27): \"mount\" is also the name of onboot[3]");
    assertThat(out).doesNotExist();
    CliRun y = importExample("static-ip.yml");
    assertThat(y.exit()).isEqualTo(2);
    assertThat(y.err()).contains("static-ip.yml: line 27: invalid YAML");
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}

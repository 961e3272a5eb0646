package dev.lamina.linuxkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lamina.api.Architecture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the import refuses and what it reports as lost, before any registry is asked: each with the
 * path of the key in the linuxkit.yml.
 */
class LinuxKitImportTest {
  static final LinuxKitImport.Options OPTIONS =
      new LinuxKitImport.Options(
          "t", null, List.of(Architecture.amd64), RegistryMap.none(), null, false);

  static List<String> errors(String yaml) throws LinuxKitException {
    LinuxKitYaml.Tree tree = LinuxKitYaml.read(yaml, "t.yml");
    try {
      LinuxKitImport.check(tree, OPTIONS);
    } catch (LinuxKitException e) {
      return e.problems().stream().map(LinuxKitProblem::toString).toList();
    }
    throw new AssertionError("no error in\n" + yaml);
  }

  static List<String> losses(String yaml) throws LinuxKitException {
    return LinuxKitImport.check(LinuxKitYaml.read(yaml, "t.yml"), OPTIONS).stream()
        .map(LinuxKitProblem::toString)
        .toList();
  }

  static final String KERNEL = "kernel:\n  image: linuxkit/kernel:6.12.59\n";

  @Test
  void twoContainersOfOneNameAreAnErrorNamingBoth() throws Exception {
    assertThat(errors(LinuxKitYamlTest.fixture("dm-crypt-loop.yml")))
        .containsExactly(
            "onboot[6].name (line 27): \"mount\" is also the name of onboot[3]; Lamina needs every"
                + " container's name to be unique (it names the container's directory and the id"
                + " files may be owned by)");
    assertThat(
            errors(
                KERNEL
                    + "onboot:\n  - name: a\n    image: x\n"
                    + "services:\n  - name: a\n    image: y\n"))
        .containsExactly(
            "services[0].name (line 7): \"a\" is also the name of onboot[0]; Lamina needs every"
                + " container's name to be unique (it names the container's directory and the id"
                + " files may be owned by)");
  }

  @Test
  void pkgTemplatesAreReportedByName() throws Exception {
    assertThat(
            errors(
                KERNEL
                    + "init:\n  - \"@pkg:../pkg/init\"\n"
                    + "services:\n  - name: sshd\n    image: \"@pkg:./pkg/sshd\"\n"))
        .containsExactly(
            "init[0] (line 4): \"@pkg:../pkg/init\" is a LinuxKit package template, resolved from a"
                + " LinuxKit source tree by `linuxkit pkg`; build and push the package, then name"
                + " its image here",
            "services[0].image (line 7): \"@pkg:./pkg/sshd\" is a LinuxKit package template,"
                + " resolved from a LinuxKit source tree by `linuxkit pkg`; build and push the"
                + " package, then name its image here");
  }

  @Test
  void malformedImageReferenceIsNamed() throws Exception {
    assertThat(errors("kernel:\n  image: LinuxKit/Kernel:6\n"))
        .containsExactly(
            "kernel.image (line 2): invalid image reference \"LinuxKit/Kernel:6\": the repository"
                + " must be lowercase path components");
  }

  @Test
  void kernelWithoutImageIsAnError() throws Exception {
    assertThat(errors("kernel:\n  cmdline: console=ttyS0\n"))
        .containsExactly("kernel.image (line 1): is required when kernel is given");
  }

  @Test
  void badFileEntriesAreNamed() throws Exception {
    assertThat(
            errors(
                KERNEL
                    + "services:\n  - name: getty\n    image: g\n"
                    + "files:\n"
                    + "  - path: a\n"
                    + "  - path: b\n    directory: true\n    contents: x\n"
                    + "  - path: c\n    contents: x\n    metadata: yaml\n"
                    + "  - path: d\n    metadata: toml\n"
                    + "  - path: e\n    contents: x\n    uid: sshd\n    gid: getty\n"
                    + "  - path: f\n    contents: x\n    mode: rw-r--r--\n"
                    + "  - contents: x\n"))
        .containsExactly(
            "files[0] (line 7): has neither contents, source, metadata, directory nor symlink",
            "files[1].contents (line 10): a directory has no contents",
            "files[2].metadata (line 13): cannot be given with contents, directory or symlink",
            "files[3].metadata (line 15): \"toml\" is not yaml or json",
            "files[4].uid (line 18): \"sshd\" is neither root nor the name of a container",
            "files[5].mode (line 22): \"rw-r--r--\" is not an octal mode such as 0644",
            "files[6].path (line 23): is required");
  }

  @Test
  void everyExampleWithoutLossChecksClean() throws Exception {
    for (String name :
        List.of(
            "minimal.yml",
            "getty.yml",
            "redis-os.yml",
            "node_exporter.yml",
            "swap.yml",
            "wireguard.yml",
            "cadvisor.yml",
            "docker-for-mac.yml")) {
      assertThat(losses(LinuxKitYamlTest.fixture(name))).as(name).isEmpty();
    }
  }

  @Test
  void volumesAndTheBindsThatNameThemAreLost() throws Exception {
    assertThat(losses(LinuxKitYamlTest.fixture("volumes.yml")))
        .containsExactly(
            "volumes (line 39): Lamina has no volumes: put the files in a Layer (init) or a"
                + " container's own image (blank, alpine left out)",
            "services[2].binds[1] (line 37): \"blank:/blank\" binds the LinuxKit volume blank, and"
                + " Lamina has no volumes",
            "services[2].binds[2] (line 38): \"alpine:/alpine\" binds the LinuxKit volume alpine,"
                + " and Lamina has no volumes");
  }

  @Test
  void aFileFromTheBuildingMachineIsLost() throws Exception {
    String lost =
        "files[0].source (line 30): a path on the building machine; Lamina reads no host files"
            + " when it builds (the build stays hermetic): put the file in a Layer and name it in"
            + " source.layer and source.path (\"~/.ssh/id_rsa.pub\"; the file is left out)";
    assertThat(losses(LinuxKitYamlTest.fixture("sshd.yml"))).containsExactly(lost);
    assertThat(losses(LinuxKitYamlTest.fixture("platform-equinixmetal.yml")))
        .containsExactly(lost.replace("line 30", "line 36"));
  }

  @Test
  void keysLaminaHasNoFieldForAreLostByPath() throws Exception {
    assertThat(
            losses(
                KERNEL
                    + "trust:\n  org: [linuxkit]\n"
                    + "services:\n"
                    + "  - name: s\n    image: i\n"
                    + "    userns: /run/userns\n"
                    + "    resources:\n      memory: {limit: 1000}\n"
                    + "    uidMappings: [{hostID: 1000, containerID: 0, size: 1}]\n"
                    + "    mounts:\n"
                    + "      - destination: /m\n        type: bind\n        source: /x\n"
                    + "        uidmappings: [{hostID: 1, containerID: 0, size: 1}]\n"))
        .containsExactly(
            "trust (line 3): LinuxKit ignores it (Notary content trust was removed); Lamina"
                + " verifies cosign signatures by ImagePolicy spec.trust instead",
            "services[0].userns (line 8): user namespaces are not in Lamina's container spec",
            "services[0].resources (line 9): cgroup resource limits are not in Lamina's container"
                + " spec",
            "services[0].uidMappings (line 11): user namespace id mappings are not in Lamina's"
                + " container spec",
            "services[0].mounts[0].uidmappings (line 16): id-mapped mounts are not in Lamina's"
                + " container spec");
  }

  @Test
  void everyContainerKeyOfLinuxKitIsEitherLaminasOrExplained() {
    var properties = LinuxKitImport.properties(dev.lamina.api.ContainerSpec.class);
    for (String key : LinuxKitSchema.CONTAINER.keys().keySet()) {
      if (key.equals("image")) {
        continue;
      }
      assertThat(properties.containsKey(key) || LinuxKitImport.LOST.containsKey("container." + key))
          .as(key)
          .isTrue();
    }
  }

  @Test
  void lossesStopTheImportUnlessAllowed() throws Exception {
    LinuxKitYaml.Tree tree = LinuxKitYaml.read(LinuxKitYamlTest.fixture("sshd.yml"), "sshd.yml");
    assertThatThrownBy(() -> LinuxKitImport.run(tree, OPTIONS, null))
        .isInstanceOf(LinuxKitImport.LossException.class)
        .hasMessage("1 LinuxKit key(s) cannot be expressed in Lamina");
  }
}

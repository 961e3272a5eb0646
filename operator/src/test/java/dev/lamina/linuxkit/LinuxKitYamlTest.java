package dev.lamina.linuxkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The strict reader: every key LinuxKit has, nothing else, each problem with its key path. */
class LinuxKitYamlTest {
  static List<String> problems(String yaml) {
    try {
      LinuxKitYaml.read(yaml, "test.yml");
    } catch (LinuxKitException e) {
      return e.problems().stream().map(LinuxKitProblem::toString).toList();
    }
    throw new AssertionError("no problem found in\n" + yaml);
  }

  static String fixture(String name) throws IOException {
    try (InputStream in = LinuxKitYamlTest.class.getResourceAsStream("/linuxkit/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void readsEveryExampleButTheOneThatIsNotYaml() throws Exception {
    for (String name :
        List.of(
            "minimal.yml",
            "getty.yml",
            "sshd.yml",
            "redis-os.yml",
            "node_exporter.yml",
            "swap.yml",
            "volumes.yml",
            "dm-crypt-loop.yml",
            "wireguard.yml",
            "platform-equinixmetal.yml",
            "docker-for-mac.yml",
            "cadvisor.yml")) {
      LinuxKitYaml.Tree tree = LinuxKitYaml.read(fixture(name), name);
      assertThat(tree.root()).as(name).containsKey("kernel");
    }
  }

  @Test
  void staticIpExampleIsNotValidYamlAndTheLineIsNamed() throws Exception {
    assertThatThrownBy(() -> LinuxKitYaml.read(fixture("static-ip.yml"), "static-ip.yml"))
        .isInstanceOf(LinuxKitException.class)
        .hasMessage(
            "line 27: invalid YAML, column 1:  the leading empty lines contain more spaces (5) than"
                + " the first non-empty line.");
  }

  @Test
  void keepsValuesTypedAndInFileOrder() throws Exception {
    LinuxKitYaml.Tree tree =
        LinuxKitYaml.read(
            "services:\n"
                + "  - name: s\n"
                + "    image: i\n"
                + "    readonly: true\n"
                + "    uid: 100\n"
                + "    gid: getty\n"
                + "    sysctl: {b: '1', a: '2'}\n",
            "t");
    @SuppressWarnings("unchecked")
    Map<String, Object> s = ((List<Map<String, Object>>) tree.root().get("services")).get(0);
    assertThat(s)
        .containsEntry("readonly", true)
        .containsEntry("uid", 100L)
        .containsEntry("gid", "getty");
    assertThat(String.join(",", ((Map<String, ?>) s.get("sysctl")).keySet())).isEqualTo("b,a");
    assertThat(tree.lineOf("services[0].gid")).isEqualTo(6);
    assertThat(tree.lineOf("services[0].sysctl.a")).isEqualTo(7);
  }

  @Test
  void unknownKeyIsNamedByItsPathAndLine() {
    assertThat(problems("onboot:\n  - name: a\n    image: b\n    imgae: c\n"))
        .singleElement()
        .asString()
        .startsWith(
            "onboot[0].imgae (line 4): unknown key: LinuxKit has no such key here (it has"
                + " name, image, capabilities,");
  }

  @Test
  void unknownTopLevelAndNestedKeysAreAllReported() {
    assertThat(
            problems(
                "kernel:\n  image: k\n  cmdlin: x\nonboot: []\nservice: []\nfiles:\n"
                    + "  - path: a\n    contents: b\n    owner: c\n"
                    + "services:\n  - name: s\n    image: i\n    runtime:\n      mkdirs: [x]\n"))
        .containsExactly(
            "kernel.cmdlin (line 3): unknown key: LinuxKit has no such key here (it has image,"
                + " cmdline, binary, tar, ucode)",
            "service (line 5): unknown key: LinuxKit has no such key here (it has kernel, init,"
                + " onboot, onshutdown, services, trust, files, volumes)",
            "files[0].owner (line 9): unknown key: LinuxKit has no such key here (it has path,"
                + " directory, symlink, contents, source, metadata, optional, mode, uid, gid)",
            "services[0].runtime.mkdirs (line 14): unknown key: LinuxKit has no such key here (it"
                + " has cgroups, mounts, mkdir, interfaces, bindNS, namespace)");
  }

  @Test
  void containerWithoutImageOrNameIsAnError() {
    assertThat(problems("onboot:\n  - name: a\nservices:\n  - image: b\n"))
        .containsExactly(
            "onboot[0].image (line 2): is required", "services[0].name (line 4): is required");
  }

  @Test
  void typesAreLinuxKitSchemas() {
    assertThat(
            problems(
                "files:\n  - path: a\n    contents: b\n    mode: 0600\n"
                    + "onboot:\n  - name: a\n    image: b\n    readonly: yes please\n"
                    + "    oomScoreAdj: '5'\n    command: /bin/sh\n    uid: [1]\n"))
        .containsExactly(
            "files[0].mode (line 4): expected a string, not the integer 0600 (quote it)",
            "onboot[0].readonly (line 8): expected true or false, not the string \"yes please\"",
            "onboot[0].oomScoreAdj (line 9): expected an integer, not the string \"5\"",
            "onboot[0].command (line 10): expected a list, not the string \"/bin/sh\"",
            "onboot[0].uid (line 11): expected an integer or a name, not a list");
  }

  @Test
  void emptySectionIsNotAList() {
    assertThat(problems("kernel:\n  image: k\nonboot:\n"))
        .containsExactly("onboot (line 3): expected a list, not nothing (null)");
  }

  @Test
  void volumeFormatIsOneOfLinuxKits() {
    assertThat(problems("volumes:\n  - name: v\n    format: raw\n"))
        .containsExactly("volumes[0].format (line 3): \"raw\" is not one of [filesystem, oci]");
  }

  @Test
  void oneDocumentOnly() {
    assertThat(problems("kernel: {image: a}\n---\nkernel: {image: b}\n"))
        .containsExactly(
            "line 3: the file holds 2 YAML documents; a linuxkit.yml is one (LinuxKit reads only"
                + " the first)");
    assertThat(problems("")).containsExactly("the file is empty");
    assertThat(problems("- a\n")).containsExactly("line 1: expected a mapping, not a list");
  }

  @Test
  void duplicateKeyIsAYamlError() {
    assertThat(
            problems(
                "kernel:\n  image: a\n  image: b\nservices:\n  - name: s\n    image: i\n"
                    + "    sysctl: {a: '1', a: '2'}\n"))
        .containsExactly(
            "kernel.image (line 3): is given twice (first on line 2)",
            "services[0].sysctl.a (line 7): is given twice (first on line 7)");
  }
}

package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed OSImage fields, read by `lamina check` and `lamina build -f`: each is refused with one
 * line naming the field, never an InternalError, and the build writes nothing.
 */
class ManifestErrorsTest {
  static final String LAYER =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: Layer
      metadata: {name: kernel}
      spec: {image: 'registry.invalid/kernel@sha256:%s'}
      ---
      """
          .formatted("0123456789abcdef".repeat(4));

  static String image(String files) {
    return LAYER
        + """
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: edge}
        spec:
          architectures: [amd64]
          kernel: {layer: kernel}
          files:
          - {path: etc/hostname, contents: edge}
          - {path: etc/motd, contents: hi}
        """
        + files;
  }

  static final String WHERE = ": document 2 (OSImage edge): ";

  static Stream<Arguments> cases() {
    return Stream.of(
        bad(
            "mode with a digit that is not octal",
            "  - {path: bin/su, mode: \"99999\"}\n",
            "spec.files[2].mode: \"99999\" is not an octal file mode (\"0000\" to \"07777\")"),
        bad(
            "mode in YAML 1.2 octal notation",
            "  - {path: bin/su, mode: 0o4755}\n",
            "spec.files[2].mode: \"0o4755\" is not an octal file mode (\"0000\" to \"07777\")"),
        bad(
            "mode as a number",
            "  - {path: bin/su, mode: 4755}\n",
            "spec.files[2].mode: 4755 is not a string (quote it)"),
        bad(
            "empty path",
            "  - {path: '', contents: x}\n",
            "spec.files[2].path: is required and must not be empty"),
        bad(
            "missing path",
            "  - {contents: x}\n",
            "spec.files[2].path: is required and must not be empty"),
        bad(
            "absolute path",
            "  - {path: /etc/shadow, contents: x}\n",
            "spec.files[2].path: \"/etc/shadow\": path must be relative to the image root and"
                + " must not contain '..'"),
        bad(
            "path with '..'",
            "  - {path: 'etc/../../x', contents: x}\n",
            "spec.files[2].path: \"etc/../../x\": path must be relative to the image root and"
                + " must not contain '..'"),
        bad(
            "path with NUL",
            "  - {path: \"etc/passwd\\0x\", contents: x}\n",
            "spec.files[2].path: \"etc/passwd\\0x\" contains a NUL character"),
        bad(
            "path with a line break, shown on one line",
            "  - {path: \"../x\\ny\", contents: x}\n",
            "spec.files[2].path: \"../x\\x0ay\": path must be relative to the image root and"
                + " must not contain '..'"),
        bad(
            "negative uid",
            "  - {path: a, uid: -1}\n",
            "spec.files[2].uid: -1 is not between 0 and 4294967294"),
        bad(
            "uid as a string that names no container",
            "  - {path: a, uid: '0'}\n",
            "spec.files[2].uid: \"0\" is neither a number, root, nor the name of a container"),
        bad(
            "directory as a string",
            "  - {path: a, directory: 'yes'}\n",
            "spec.files[2].directory: \"yes\" is not true or false"),
        bad(
            "directory and symlink",
            "  - {path: a, directory: true, symlink: b}\n",
            "spec.files[2].symlink: an entry is either a directory or a symlink, not both"),
        bad(
            "contents on a symlink",
            "  - {path: a, symlink: b, contents: x}\n",
            "spec.files[2].contents: contents are only allowed for regular files"),
        badSpec("files not a list", "files: {path: a}", "spec.files: expected a list"),
        badSpec(
            "two containers with the same name",
            "architectures: [amd64]\n  onboot: [{name: net, layer: kernel}]\n"
                + "  services: [{name: net, layer: kernel}]",
            "spec.services[0].name: container name net is used more than once: names must be unique"
                + " across onboot, onshutdown and services"),
        badSpec(
            "a container without a layer",
            "architectures: [amd64]\n  services: [{name: getty}]",
            "spec.services[0].layer: is required: name the Layer whose filesystem the container runs"),
        badSpec(
            "an unknown capability",
            "architectures: [amd64]\n  services: [{name: s, layer: kernel, capabilities: [CAP_FLY]}]",
            "spec.services[0].capabilities[0]: unknown capability \"CAP_FLY\": use CAP_ names of"
                + " Linux capabilities, or all or none alone"),
        badSpec(
            "a bind source outside the image",
            "architectures: [amd64]\n  onboot: [{name: s, layer: kernel, binds: ['../etc:/etc']}]",
            "spec.onboot[0].binds[0]: bind \"../etc:/etc\" must be SOURCE:DESTINATION[:OPTIONS] with"
                + " absolute paths without '..' (the source is a path of the image and must stay"
                + " inside it)"),
        badSpec(
            "an unknown key in a container",
            "architectures: [amd64]\n  services: [{name: s, layer: kernel, volumes: [v]}]",
            "spec.services[0].volumes: unknown field"),
        badSpec(
            "unknown architecture",
            "architectures: [riscv64]",
            "spec.architectures[0]: \"riscv64\" is not one of [amd64, arm64]"));
  }

  static Arguments bad(String what, String extraFile, String message) {
    return Arguments.of(what, image(extraFile), message);
  }

  /** A case that replaces one line of the OSImage's spec instead of adding a file. */
  static Arguments badSpec(String what, String replacement, String message) {
    String yaml = image("");
    String key = replacement.substring(0, replacement.indexOf(':'));
    if (key.equals("files")) {
      yaml = yaml.substring(0, yaml.indexOf("  files:")) + "  " + replacement + "\n";
    } else {
      yaml = yaml.replace("architectures: [amd64]", replacement);
    }
    return Arguments.of(what, yaml, message);
  }

  @TempDir Path dir;

  @ParameterizedTest(name = "check: {0}")
  @MethodSource("cases")
  void checkNamesTheField(String what, String yaml, String message) throws IOException {
    Path f = Files.writeString(dir.resolve("in.yaml"), yaml);
    CliRun r = CliRun.inProcess("check", "-f", f.toString());
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo("lamina check: " + f + WHERE + message);
  }

  @ParameterizedTest(name = "build: {0}")
  @MethodSource("cases")
  void buildNamesTheFieldAndWritesNothing(String what, String yaml, String message)
      throws IOException {
    Path f = Files.writeString(dir.resolve("in.yaml"), yaml);
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    int exit;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      exit = CliRun.inProcess("build", "-f", f.toString(), "--out", out.toString()).exit();
    } finally {
      System.setErr(saved);
    }
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8).strip())
        .isEqualTo("lamina build: InvalidInput: " + f + WHERE + message);
    assertThat(out).doesNotExist();
  }
}

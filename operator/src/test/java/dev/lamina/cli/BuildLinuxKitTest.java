package dev.lamina.cli;

import static dev.lamina.testing.TestLayers.Entry.file;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.TestLayers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lamina build -f linuxkit.yml}: the file is imported in memory and built as the same Layers
 * and OSImage would be. The images are OCI layouts, reached by {@code --registry-map
 * docker.io/linuxkit=oci:DIR}.
 */
class BuildLinuxKitTest {
  @TempDir Path tmp;
  Path layouts;

  static final String LINUXKIT_YML =
      """
      kernel:
        image: linuxkit/kernel:6.12.59
        cmdline: "console=ttyS0"
      init:
        - linuxkit/init:v1
      onboot:
        - name: hello
          image: linuxkit/hello:v1
          command: ["/bin/hello", "onboot"]
      services:
        - name: getty
          image: linuxkit/getty:v1
          env:
           - INSECURE=true
      files:
        - path: /etc/motd
          contents: "from linuxkit.yml\\n"
        - path: etc/getty.shadow
          contents: "root:x"
          mode: "0640"
      """;

  @BeforeEach
  void layouts() throws IOException {
    layouts = tmp.resolve("layouts");
    OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
    push(client, "kernel", file("kernel", "KERNEL"));
    push(client, "init", file("sbin/init", "#!/bin/sh\n"), file("etc/init.d/rcS", "rc"));
    push(client, "hello", file("bin/hello", "hello"));
    push(client, "getty", file("usr/bin/getty", "getty"));
  }

  private void push(OciClient client, String name, TestLayers.Entry... entries) throws IOException {
    byte[] blob = TestLayers.tarGz(entries);
    String tag = name.equals("kernel") ? "6.12.59" : "v1";
    TestLayers.pushImage(
        client.repository("oci:" + layouts.resolve(name)),
        tag,
        Map.of("amd64", List.of(blob), "arm64", List.of(blob)));
  }

  private CliRun build(Path yml, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "-f",
                yml.toString(),
                "--registry-map",
                "docker.io/linuxkit=oci:" + layouts,
                "--arch",
                "amd64",
                "--out",
                tmp.resolve("out").toString()));
    args.addAll(List.of(more));
    // lamina build reports on System.err itself, not through picocli's writer.
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      CliRun r = CliRun.inProcess("build", args.toArray(String[]::new));
      return new CliRun(r.exit(), r.out(), r.err() + err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void buildsKernelAndInitrdFromALinuxKitFile() throws IOException {
    Path yml = Files.writeString(tmp.resolve("hello.yml"), LINUXKIT_YML);

    CliRun run = build(yml);

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains("hello.yml: imported as OSImage hello");
    Path amd64 = tmp.resolve("out/amd64");
    assertThat(Files.readString(amd64.resolve("kernel"))).isEqualTo("KERNEL");
    assertThat(Files.readString(amd64.resolve("cmdline"))).isEqualTo("console=ttyS0");
    Map<String, CpioArchiveEntry> headers = new TreeMap<>();
    Map<String, String> initrd = cpio(amd64.resolve("initrd.img"), headers);
    assertThat(initrd).containsEntry("sbin/init", "#!/bin/sh\n");
    assertThat(initrd).containsEntry("etc/motd", "from linuxkit.yml\n");
    // LinuxKit's default mode for a file is 0600, not Lamina's 0644.
    assertThat(headers.get("etc/motd").getMode() & 07777).isEqualTo(0600);
    assertThat(headers.get("etc/getty.shadow").getMode() & 07777).isEqualTo(0640);
  }

  @Test
  void containersAreLaidOutAsLinuxKitLaysThemOut() throws IOException {
    Path yml =
        Files.writeString(
            tmp.resolve("owned.yml"),
            LINUXKIT_YML + "  - path: etc/owned\n    contents: x\n    gid: getty\n");

    CliRun run = build(yml);

    assertThat(run.exit()).as(run.err()).isZero();
    Map<String, CpioArchiveEntry> headers = new TreeMap<>();
    Map<String, String> initrd = cpio(tmp.resolve("out/amd64/initrd.img"), headers);
    // getty is the second container: LinuxKit numbers them from 100.
    assertThat(headers.get("etc/owned").getGID()).isEqualTo(101);
    assertThat(initrd).containsKey("containers/services/getty/config.json");
    // The container's image and the linuxkit.yml's command and env reached the bundle.
    assertThat(initrd)
        .containsAnyOf(
            Map.entry("containers/onboot/000-hello/rootfs/bin/hello", "hello"),
            Map.entry("containers/onboot/000-hello/lower/bin/hello", "hello"));
    assertThat(initrd.get("containers/onboot/000-hello/config.json"))
        .contains("\"/bin/hello\"", "\"onboot\"");
    assertThat(initrd.get("containers/services/getty/config.json")).contains("INSECURE=true");
  }

  @Test
  void lossStopsTheBuildUnlessAllowed() throws IOException {
    Path yml =
        Files.writeString(tmp.resolve("vol.yml"), LINUXKIT_YML + "volumes:\n  - name: data\n");

    CliRun refused = build(yml);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err())
        .contains(
            "lamina build: CannotExpress: "
                + yml
                + ": Lamina cannot express volumes (line 21): Lamina has no volumes");
    assertThat(tmp.resolve("out")).doesNotExist();

    CliRun allowed = build(yml, "--allow-loss");
    assertThat(allowed.exit()).as(allowed.err()).isZero();
    assertThat(allowed.err()).contains(yml + ": left out: volumes (line 21)");
  }

  @Test
  void badLinuxKitFileFailsNamingTheKey() throws IOException {
    Path yml =
        Files.writeString(
            tmp.resolve("bad.yml"), "kernel:\n  image: linuxkit/kernel:6.12.59\n  cmdlin: x\n");

    CliRun run = build(yml);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains("lamina build: InvalidInput: " + yml + ": kernel.cmdlin (line 3): unknown key");
  }

  private static Map<String, String> cpio(Path initrd, Map<String, CpioArchiveEntry> headers)
      throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (CpioArchiveInputStream in =
        new CpioArchiveInputStream(new GZIPInputStream(Files.newInputStream(initrd)))) {
      CpioArchiveEntry e;
      while ((e = in.getNextCPIOEntry()) != null) {
        headers.put(e.getName(), e);
        entries.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return entries;
  }
}

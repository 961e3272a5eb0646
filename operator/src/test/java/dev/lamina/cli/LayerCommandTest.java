package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.Platform;
import dev.lamina.oci.ResolvedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lamina layer` into OCI layouts: what it prints, and one-line errors for bad input. */
class LayerCommandTest {
  @TempDir Path dir;

  CliRun layer(String... args) {
    return CliRun.inProcess("layer", args);
  }

  Path tree(String name, String contents) throws IOException {
    Path root = dir.resolve(name);
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/release"), contents);
    return root;
  }

  @Test
  void printsTheIndexDigestThatTheTagResolvesTo() throws IOException {
    Path amd = tree("amd", "amd64\n");
    Path arm = tree("arm", "arm64\n");
    String layout = "oci:" + dir.resolve("layout");

    CliRun r =
        layer(
            "--platform", "linux/amd64=" + amd,
            "--platform", "linux/arm64=" + arm,
            "--source-date-epoch", "1700000000",
            "--owner", "1000:1000",
            "--to", layout + ":base-1");

    assertThat(r.exit()).as(r.err()).isZero();
    OciClient client = OciClient.builder().credentials(DockerConfig.empty()).build();
    ResolvedImage resolved =
        client.resolve(
            layout + ":base-1", List.of(Platform.linux("amd64"), Platform.linux("arm64")));
    assertThat(resolved.missing()).isEmpty();
    assertThat(r.out()).isEqualTo(resolved.indexDigest() + "\n");
    assertThat(r.err())
        .contains(
            "linux/amd64 manifest " + resolved.manifests().get(Platform.linux("amd64")).digest())
        .contains(
            "linux/arm64 manifest " + resolved.manifests().get(Platform.linux("arm64")).digest());
  }

  @Test
  void sameTreeTwiceGivesTheSameDigestAndOtherOptionsAnother() throws IOException {
    Path amd = tree("amd", "amd64\n");
    String layout = "oci:" + dir.resolve("layout");

    CliRun first = layer("--platform", "linux/amd64=" + amd, "--to", layout + ":a");
    CliRun again = layer("--platform", "linux/amd64=" + amd, "--to", layout + ":b");
    CliRun otherOwner =
        layer("--platform", "linux/amd64=" + amd, "--owner", "1:1", "--to", layout + ":c");

    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(again.out()).isEqualTo(first.out());
    assertThat(otherOwner.exit()).as(otherOwner.err()).isZero();
    assertThat(otherOwner.out()).isNotEqualTo(first.out());
  }

  @Test
  void badInputExitsTwoWithOneLineAndWritesNothing() throws IOException {
    Path amd = tree("amd", "amd64\n");
    String layout = "oci:" + dir.resolve("layout");
    List<List<String>> cases =
        List.of(
            List.of("--platform", "linux/amd64", "--to", layout + ":1"),
            List.of("--platform", "amd64=" + amd, "--to", layout + ":1"),
            List.of("--platform", "linux/amd64=" + dir.resolve("nope"), "--to", layout + ":1"),
            List.of("--platform", "linux/amd64=" + amd, "--to", layout),
            List.of("--platform", "linux/amd64=" + amd, "--owner", "root", "--to", layout + ":1"),
            List.of(
                "--platform",
                "linux/amd64=" + amd,
                "--source-date-epoch",
                "-5",
                "--to",
                layout + ":1"));

    for (List<String> args : cases) {
      CliRun r = layer(args.toArray(String[]::new));
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).startsWith("lamina layer: ");
      assertThat(r.err().strip()).as(String.join(" ", args)).doesNotContain("\n");
      assertThat(r.out()).isEmpty();
    }
    assertThat(dir.resolve("layout")).doesNotExist();
  }
}

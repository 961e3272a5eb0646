package dev.lamina.quickstart;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.FileSpec;
import dev.lamina.api.OSImage;
import dev.lamina.cli.ResourceFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, {@code hack/quickstart.sh}, run as a user runs it from the repository
 * root: both assembled images must boot to their init under QEMU.
 */
class QuickstartIT {
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  @Test
  void quickstartBootsBothArchitecturesToTheirInit() throws Exception {
    Path root = Path.of(System.getProperty("lamina.repoRoot", "..")).toAbsolutePath().normalize();
    Path log = Files.createTempFile("quickstart", ".log");
    ProcessBuilder builder =
        new ProcessBuilder("bash", "hack/quickstart.sh")
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().put("LAMINA_BOOT_TIMEOUT", "60");
    Process script = builder.start();
    boolean finished = script.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (!finished) {
      script.descendants().forEach(ProcessHandle::destroyForcibly);
      script.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, UTF_8);
    Files.delete(log);

    assertThat(finished).as("finished within %s:\n%s", TIMEOUT, output).isTrue();
    assertThat(script.exitValue()).as(output).isZero();
    List<String> lines = output.lines().toList();
    String release = releaseText(root.resolve("samples/quickstart/osimage.yaml"));
    assertThat(lines)
        .as(output)
        .contains(
            "amd64: LAMINA-BOOT-OK arch=x86_64",
            "amd64: LAMINA-RELEASE " + release,
            "arm64: LAMINA-BOOT-OK arch=aarch64",
            "arm64: LAMINA-RELEASE " + release);
  }

  /** The /etc/lamina-release the sample OSImage adds, as the init prints it (one line). */
  private static String releaseText(Path yaml) throws Exception {
    OSImage image = ResourceFiles.read(List.of(yaml)).osImages().get(0).object();
    return image.getSpec().getFiles().stream()
        .filter(f -> f.getPath().equals("etc/lamina-release"))
        .map(FileSpec::getContents)
        .findFirst()
        .orElseThrow()
        .strip();
  }
}

package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.plan.BuildResult;
import dev.lamina.testing.SlowRegistry;
import dev.lamina.testing.SlowRegistry.Mode;
import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A build whose layer registry stalls fails with a {@code RegistryTimeout} naming the registry, in
 * bounded time, with the timeouts given on the command line as the build pod gets them.
 */
class BuildCommandTimeoutTest {
  @TempDir Path tmp;

  private BuildResult build(SlowRegistry registry, String idle, Duration bound) throws IOException {
    String plan =
        """
        {"osImage": "default/slow", "inputDigest": "sha256:%s",
         "architectures": {"amd64": {"init": [
           {"name": "base", "image": "%s/%s", "digest": "%s"}]}},
         "formats": ["rootfs-tar"], "compression": "gzip", "sourceDateEpoch": 0,
         "output": {"repository": "%s/lamina/out"}}
        """
            .formatted(
                "0".repeat(64),
                registry.host(),
                SlowRegistry.REPOSITORY,
                registry.manifestDigest(),
                registry.host());
    Path planFile = Files.writeString(tmp.resolve("plan.json"), plan);
    Path result = tmp.resolve("result.json");
    long start = System.nanoTime();
    CliRun run =
        CliRun.inProcess(
            "build",
            "--plan",
            planFile.toString(),
            "--arch",
            "amd64",
            "--push",
            "--result",
            result.toString(),
            "--registry-idle-timeout",
            idle,
            "--registry-request-timeout",
            "PT30S");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
    assertThat(run.exit()).isEqualTo(1);
    return BuildResult.fromJson(Files.readString(result));
  }

  @Test
  void registryDyingMidPullFailsTheBuildWithRegistryError() throws IOException {
    // Big enough that half of it is more than the client's first read.
    byte[] noise = new byte[256 * 1024];
    new java.util.Random(1).nextBytes(noise);
    try (SlowRegistry registry =
        SlowRegistry.start(
            Mode.DIES_MID_BLOB,
            Duration.ZERO,
            TestLayers.tarGz(TestLayers.Entry.file("noise", noise, 0644)))) {
      BuildResult r = build(registry, "PT30S", Duration.ofSeconds(20));
      assertThat(r.error().reason()).isEqualTo("RegistryError");
      assertThat(r.error().message())
          .startsWith("registry " + registry.host() + " stopped sending blob ")
          .contains(registry.layerDigest());
    }
  }

  @Test
  void layerBlobTricklingFailsTheBuildWithRegistryTimeout() throws IOException {
    try (SlowRegistry registry =
        SlowRegistry.start(
            Mode.TRICKLE_BLOBS,
            Duration.ofSeconds(60),
            TestLayers.tarGz(TestLayers.Entry.file("etc/motd", "hi")))) {
      // An idle timeout the manifest, served at once, meets even on a loaded machine.
      BuildResult r = build(registry, "PT2S", Duration.ofSeconds(20));
      assertThat(r.error().reason()).isEqualTo("RegistryTimeout");
      assertThat(r.error().message())
          .isEqualTo(
              "registry "
                  + registry.host()
                  + " sent no data for 2 s while reading blob "
                  + registry.host()
                  + "/lamina/slow@"
                  + registry.layerDigest());
    }
  }

  @Test
  void registryThatNeverAnswersFailsTheBuildWithRegistryTimeout() throws IOException {
    try (SlowRegistry registry =
        SlowRegistry.start(
            Mode.SILENT,
            Duration.ZERO,
            TestLayers.tarGz(TestLayers.Entry.file("etc/motd", "hi")))) {
      BuildResult r = build(registry, "PT0.5S", Duration.ofSeconds(15));
      assertThat(r.error().reason()).isEqualTo("RegistryTimeout");
      assertThat(r.error().message())
          .startsWith(
              "registry " + registry.host() + " sent no answer for 500 ms to GET of manifest");
    }
  }
}

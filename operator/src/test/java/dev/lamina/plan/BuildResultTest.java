package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BuildResultTest {
  @Test
  void resultRecordsTheArchitectureOfTheJvmThatBuilt() throws Exception {
    BuildResult r =
        new BuildResult(
            "arm64",
            "sha256:in",
            "sha256:m",
            List.of(new BuildResult.ArtifactRef("kernel", "t", "sha256:k", 1)),
            null,
            0,
            null);
    assertThat(r.osArch()).isEqualTo(System.getProperty("os.arch"));
    BuildResult back = BuildResult.fromJson(r.toJson());
    assertThat(back).isEqualTo(r);
    assertThat(r.toJson()).contains("\"osArch\":\"" + System.getProperty("os.arch") + "\"");
  }

  @Test
  void resultOfAnOlderBuilderReadsWithoutOsArch() throws Exception {
    BuildResult r = BuildResult.fromJson("{\"architecture\":\"amd64\",\"manifestDigest\":\"x\"}");
    assertThat(r.architecture()).isEqualTo("amd64");
    assertThat(r.osArch()).isNull();
  }

  @Test
  void shortenedFailureKeepsOsArch() throws Exception {
    BuildResult r =
        new BuildResult(
            "amd64",
            null,
            null,
            null,
            null,
            null,
            new BuildResult.Failure("X", "y".repeat(5000)),
            "aarch64");
    assertThat(BuildResult.fromJson(r.toJson()).osArch()).isEqualTo("aarch64");
  }
}

package dev.lamina.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalNodeAgentTest {
  @Test
  void pathsUnderAMountMoveToItsDirectoryAndTheLongestMountWins() {
    Map<String, Path> mounts = new LinkedHashMap<>();
    mounts.put("/etc/lamina", Path.of("/w/v/a"));
    mounts.put("/etc/lamina/plan", Path.of("/w/v/plan"));
    mounts.put("/dev/termination-log", Path.of("/w/termination-log"));
    assertThat(LocalNodeAgent.rewrite("/etc/lamina/plan/plan.json", mounts))
        .isEqualTo("/w/v/plan/plan.json");
    assertThat(LocalNodeAgent.rewrite("/etc/lamina/docker", mounts)).isEqualTo("/w/v/a/docker");
    assertThat(LocalNodeAgent.rewrite("/dev/termination-log", mounts))
        .isEqualTo("/w/termination-log");
    assertThat(LocalNodeAgent.rewrite("/etc/laminar", mounts)).isEqualTo("/etc/laminar");
    assertThat(LocalNodeAgent.rewrite("--push", mounts)).isEqualTo("--push");
  }
}

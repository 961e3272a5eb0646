package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Overlap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The build config written into every per-architecture manifest, and read back on a cache hit. */
class BuildConfigTest {
  static BuildPlan plan() {
    return new BuildPlan(
        "default/edge",
        "sha256:" + "a".repeat(64),
        Map.of(
            "amd64",
            new BuildPlan.ArchPlan(
                new BuildPlan.LayerRef("kernel", "reg.lan/kernel", "sha256:" + "b".repeat(64)),
                List.of(
                    new BuildPlan.LayerRef("base", "reg.lan/base", "sha256:" + "c".repeat(64)),
                    new BuildPlan.LayerRef("site", "oci:/tmp/site", "sha256:" + "d".repeat(64))))),
        null,
        List.of(),
        List.of(),
        null,
        0,
        null,
        null);
  }

  static Builder.Assembled assembled() {
    List<Overlap> overlaps = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      overlaps.add(new Overlap("etc/f" + i, "base", "site"));
    }
    return new Builder.Assembled("amd64", Path.of("unused"), List.of(), overlaps, 14);
  }

  /**
   * The config's bytes are in every pushed manifest's digest, so a change that is not meant to
   * change them must leave them alone; these are the bytes the builder wrote as a Map (the format
   * version is the one field that changes, on purpose, with the output format).
   */
  static final String GOLDEN =
      "{\"architecture\":\"amd64\",\"formatVersion\":"
          + InputDigest.OUTPUT_FORMAT_VERSION
          + ",\"inputDigest\":\"sha256:aaaaaaaaaaaaaaaa"
          + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"layers\":[{\"digest\":\"sha256:bb"
          + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"image\":\"reg.lan"
          + "/kernel\",\"name\":\"kernel\",\"role\":\"kernel\"},{\"digest\":\"sha256:cccccccccccccccccccc"
          + "cccccccccccccccccccccccccccccccccccccccccccc\",\"image\":\"reg.lan/base\",\"name\":\"bas"
          + "e\",\"role\":\"init\"},{\"digest\":\"sha256:dddddddddddddddddddddddddddddddddddddddddddd"
          + "dddddddddddddddddddd\",\"image\":\"oci:/tmp/site\",\"name\":\"site\",\"role\":\"init\"}],\"os\""
          + ":\"linux\",\"overlapCount\":14,\"overlaps\":[{\"path\":\"etc/f0\",\"lower\":\"base\",\"upper\":\""
          + "site\"},{\"path\":\"etc/f1\",\"lower\":\"base\",\"upper\":\"site\"},{\"path\":\"etc/f2\",\"lower\":"
          + "\"base\",\"upper\":\"site\"},{\"path\":\"etc/f3\",\"lower\":\"base\",\"upper\":\"site\"},{\"path\":\""
          + "etc/f4\",\"lower\":\"base\",\"upper\":\"site\"},{\"path\":\"etc/f5\",\"lower\":\"base\",\"upper\":\""
          + "site\"},{\"path\":\"etc/f6\",\"lower\":\"base\",\"upper\":\"site\"},{\"path\":\"etc/f7\",\"lower\":"
          + "\"base\",\"upper\":\"site\"},{\"path\":\"etc/f8\",\"lower\":\"base\",\"upper\":\"site\"},{\"path\":\""
          + "etc/f9\",\"lower\":\"base\",\"upper\":\"site\"}]}";

  @Test
  void configBytesAreTheOnesBuildersAlwaysWrote() throws Exception {
    assertThat(new String(BuildConfig.of(plan(), assembled()).toJson(), StandardCharsets.UTF_8))
        .isEqualTo(GOLDEN);
  }

  @Test
  void readingBackGivesTheListedOverlapsAndTheirCount() throws Exception {
    BuildConfig config =
        BuildConfig.withOverlaps(GOLDEN.getBytes(StandardCharsets.UTF_8)).orElseThrow();
    assertThat(config).isEqualTo(BuildConfig.of(plan(), assembled()));
    assertThat(config.overlaps()).hasSize(BuildResult.MAX_OVERLAPS);
    assertThat(config.overlapCount()).isEqualTo(14);
  }

  @Test
  void aConfigThatDidNotCountOverlapsSaysNothingAboutThem() throws Exception {
    String old = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"layers\":[]}";
    assertThat(BuildConfig.withOverlaps(old.getBytes(StandardCharsets.UTF_8))).isEmpty();
  }
}

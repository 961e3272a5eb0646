package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Overlap;
import dev.lamina.api.PolicyAction;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A build the plan says policy denies for its overlaps (LMN009) is refused before any push. */
class BuilderDeniedOverlapsTest {
  static final Overlap MOTD = new Overlap("etc/motd", "base", "site");

  static BuildPlan plan(PolicyAction overlaps) {
    return new BuildPlan(
        "default/edge",
        "sha256:" + "a".repeat(64),
        java.util.Map.of(),
        null,
        List.of(),
        List.of(),
        null,
        0,
        new BuildPlan.OutputPlan("reg.lan/os", null, overlaps),
        null);
  }

  static Builder.Assembled assembled(List<Overlap> overlaps, int count) {
    return new Builder.Assembled("amd64", Path.of("unused"), List.of(), overlaps, count);
  }

  @Test
  void denyWithOverlapsRefusesAndReportsThem() {
    BuildResult r =
        Builder.deniedOverlaps(plan(PolicyAction.Deny), assembled(List.of(MOTD), 3)).orElseThrow();
    assertThat(r.succeeded()).isFalse();
    assertThat(r.manifestDigest()).isNull();
    assertThat(r.error().reason()).isEqualTo("PolicyDenied");
    assertThat(r.error().message())
        .isEqualTo(
            "policy rule LMN009 denies init layers that write the same path: 3 path(s), e.g."
                + " etc/motd (base, site); nothing was pushed");
    assertThat(r.overlaps()).containsExactly(MOTD);
    assertThat(r.overlapCount()).isEqualTo(3);
  }

  @Test
  void noOverlapsOrNoDenyMayPush() {
    assertThat(Builder.deniedOverlaps(plan(PolicyAction.Deny), assembled(List.of(), 0))).isEmpty();
    assertThat(Builder.deniedOverlaps(plan(PolicyAction.Warn), assembled(List.of(MOTD), 1)))
        .isEmpty();
    assertThat(Builder.deniedOverlaps(plan(null), assembled(List.of(MOTD), 1))).isEmpty();
  }
}

package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlatformTest {
  private static Descriptor entry(String platform, char fill) {
    String digest = "sha256:" + String.valueOf(fill).repeat(64);
    return new Descriptor(
        MediaTypes.OCI_MANIFEST, digest, 100, Map.of(), Platform.parse(platform), null);
  }

  @Test
  void arm64WithoutVariantIsArm64V8() {
    assertThat(Platform.parse("linux/arm64").matches(Platform.parse("linux/arm64/v8"))).isTrue();
    assertThat(Platform.parse("linux/aarch64").matches(Platform.parse("linux/arm64"))).isTrue();
    assertThat(Platform.parse("linux/x86_64").matches(Platform.parse("linux/amd64"))).isTrue();
    assertThat(Platform.parse("linux/arm").matches(Platform.parse("linux/arm/v7"))).isTrue();
    assertThat(Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7"))).isFalse();
    assertThat(Platform.parse("linux/arm64").matches(Platform.parse("linux/arm/v8"))).isFalse();
    assertThat(Platform.parse("linux/amd64").matches(Platform.parse("windows/amd64"))).isFalse();
  }

  @Test
  void indexSelectsTheEntryOfEachPlatform() {
    Descriptor amd64 = entry("linux/amd64", 'a');
    Descriptor arm64 = entry("linux/arm64/v8", 'b');
    Descriptor arm = entry("linux/arm/v7", 'c');
    Descriptor attestation =
        new Descriptor(
            MediaTypes.OCI_MANIFEST,
            "sha256:" + "d".repeat(64),
            10,
            Map.of(),
            new Platform("unknown", "unknown", null),
            null);
    ImageIndex index = ImageIndex.of(List.of(attestation, amd64, arm64, arm), Map.of());

    assertThat(index.select(Platform.parse("linux/amd64"))).contains(amd64);
    assertThat(index.select(Platform.parse("linux/arm64"))).contains(arm64);
    assertThat(index.select(Platform.parse("linux/arm64/v8"))).contains(arm64);
    assertThat(index.select(Platform.parse("linux/arm"))).contains(arm);
    assertThat(index.select(Platform.parse("linux/riscv64"))).isEmpty();
  }

  @Test
  void arm64EntryWithoutVariantServesAnArm64V8Request() {
    Descriptor arm64 = entry("linux/arm64", 'b');
    ImageIndex index = ImageIndex.of(List.of(entry("linux/amd64", 'a'), arm64), Map.of());

    assertThat(index.select(Platform.parse("linux/arm64/v8"))).contains(arm64);
  }
}

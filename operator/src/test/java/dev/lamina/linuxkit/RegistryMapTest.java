package dev.lamina.linuxkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryMapTest {
  @Test
  void expandsAsLinuxKitDoesWithoutRules() {
    RegistryMap none = RegistryMap.none();
    assertThat(none.apply("linuxkit/init:v1")).isEqualTo("docker.io/linuxkit/init:v1");
    assertThat(none.apply("redis")).isEqualTo("docker.io/library/redis:latest");
    assertThat(none.apply("quay.io/a/b@sha256:" + "a".repeat(64)))
        .isEqualTo("quay.io/a/b@sha256:" + "a".repeat(64));
  }

  @Test
  void longestPrefixWinsAtAComponentBoundary() {
    RegistryMap map =
        RegistryMap.parse(
            List.of(
                "docker.io=127.0.0.1:5000/hub",
                "docker.io/linuxkit=127.0.0.1:5000/lk/",
                "linuxkit-extra=oci:/srv/layouts"));
    assertThat(map.apply("linuxkit/init:v1")).isEqualTo("127.0.0.1:5000/lk/init:v1");
    assertThat(map.apply("busybox")).isEqualTo("127.0.0.1:5000/hub/library/busybox:latest");
    // docker.io/linuxkit-extra is not under docker.io/linuxkit.
    assertThat(map.apply("linuxkit-extra/x:2")).isEqualTo("oci:/srv/layouts/x:2");
    assertThat(map.apply("linuxkit-extra/x:2@sha256:" + "b".repeat(64)))
        .isEqualTo("oci:/srv/layouts/x@sha256:" + "b".repeat(64));
    assertThat(map.apply("ghcr.io/o/p:1")).isEqualTo("ghcr.io/o/p:1");
  }

  @Test
  void malformedRulesAreNamed() {
    assertThatThrownBy(() -> RegistryMap.parse(List.of("docker.io")))
        .hasMessageStartingWith("--registry-map docker.io: expected FROM=TO");
    assertThatThrownBy(() -> RegistryMap.parse(List.of("docker.io/a:tag=x.io/b")))
        .hasMessageContaining("FROM must be a registry host and path, without tag");
    assertThatThrownBy(() -> RegistryMap.parse(List.of("docker.io=x.io/b:1")))
        .hasMessageContaining("TO must be REGISTRY[/PATH] or oci:DIR, without tag");
  }
}

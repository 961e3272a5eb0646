package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lamina.testing.SlowRegistry;
import dev.lamina.testing.SlowRegistry.Mode;
import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A registry that trickles bytes or never answers must not hold the client: each request gives up
 * after the configured idle or overall timeout, with a reason naming the registry. Bounds are
 * generous against a slow machine; without the guards these tests hang (the JDK's own timeout stops
 * at the response headers).
 */
class RegistryTimeoutTest {
  private static final Duration IDLE = Duration.ofMillis(500);
  private SlowRegistry registry;

  @AfterEach
  void stop() throws IOException {
    if (registry != null) {
      registry.close();
    }
  }

  private static OciClient client(Duration idle, Duration request) throws IOException {
    return OciClient.builder()
        .credentials(DockerConfig.empty())
        .retries(3, Duration.ofMillis(10))
        .timeouts(new RegistryTimeouts(Duration.ofSeconds(5), idle, request, 0))
        .build();
  }

  private OciRepository repo(OciClient client) {
    return client.repository(registry.host() + "/" + SlowRegistry.REPOSITORY);
  }

  private static byte[] layer() throws IOException {
    return TestLayers.tarGz(TestLayers.Entry.file("etc/motd", "hello"));
  }

  @Test
  void blobTricklingSlowerThanTheIdleTimeoutFailsNamingTheRegistryAndBlob() throws Exception {
    // A byte every 60 s: only a watchdog that aborts the blocked read ends this in time. The
    // idle timeout is one the manifest, served at once, meets even on a loaded machine.
    registry = SlowRegistry.start(Mode.TRICKLE_BLOBS, Duration.ofSeconds(60), layer());
    OciRepository repo = repo(client(Duration.ofSeconds(2), Duration.ofMinutes(5)));
    ImageManifest m = ImageManifest.parse(repo.manifestBytes(registry.manifestDigest()));
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> {
              try (InputStream in = repo.openBlob(m.layers().get(0))) {
                in.readAllBytes();
              }
            })
        .isInstanceOf(RegistryTimeoutException.class)
        .hasMessage(
            "registry "
                + registry.host()
                + " sent no data for 2 s while reading blob "
                + registry.host()
                + "/lamina/slow@"
                + registry.layerDigest());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void manifestThatKeepsTricklingHitsTheOverallDeadline() throws Exception {
    // A byte every 300 ms never trips the idle timeout; only the overall deadline ends it (the
    // whole manifest would take about two minutes).
    registry = SlowRegistry.start(Mode.TRICKLE_EVERYTHING, Duration.ofMillis(300), layer());
    OciRepository repo = repo(client(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    long start = System.nanoTime();
    assertThatThrownBy(() -> repo.manifestBytes(registry.manifestDigest()))
        .isInstanceOf(RegistryTimeoutException.class)
        .hasMessage(
            "registry "
                + registry.host()
                + " did not finish manifest "
                + registry.host()
                + "/lamina/slow@"
                + registry.manifestDigest()
                + " within 1 s");
    // Not retried: a second attempt would double the wait on a registry that is stalling.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void registryThatNeverAnswersFailsAfterTheIdleTimeout() throws Exception {
    registry = SlowRegistry.start(Mode.SILENT, Duration.ZERO, layer());
    OciRepository repo = repo(client(IDLE, Duration.ofMinutes(5)));
    long start = System.nanoTime();
    assertThatThrownBy(() -> repo.manifestBytes(registry.manifestDigest()))
        .isInstanceOf(RegistryTimeoutException.class)
        .hasMessageStartingWith(
            "registry " + registry.host() + " sent no answer for 500 ms to GET");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void consumerPausesDoNotCountAsIdle() throws Exception {
    // The layer arrives at once; the reader then takes longer than the idle timeout between
    // reads, which is not the registry's fault.
    registry = SlowRegistry.start(Mode.TRICKLE_EVERYTHING, Duration.ZERO, layer());
    OciRepository repo = repo(client(Duration.ofSeconds(1), Duration.ofMinutes(5)));
    byte[] manifest = repo.manifestBytes(registry.manifestDigest());
    Descriptor blob = ImageManifest.parse(manifest).layers().get(0);
    try (InputStream in = repo.openBlob(blob)) {
      byte[] first = in.readNBytes(10);
      Thread.sleep(2500);
      byte[] rest = in.readAllBytes();
      assertThat(first.length + rest.length).isEqualTo((int) blob.size());
    }
  }

  @Test
  void blobDeadlineGrowsWithItsSize() {
    RegistryTimeouts t =
        new RegistryTimeouts(
            Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5), 1024 * 1024);
    assertThat(t.forBytes(0)).isEqualTo(Duration.ofMinutes(5));
    assertThat(t.forBytes(600L * 1024 * 1024)).isEqualTo(Duration.ofMinutes(15));
    assertThat(t.forBytes(512 * 1024)).isEqualTo(Duration.ofMinutes(5).plusMillis(500));
    assertThatThrownBy(
            () ->
                new RegistryTimeouts(
                    Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), 0))
        .hasMessageContaining("connect timeout must be positive");
  }

  @Test
  void defaultsAreDocumented() {
    assertThat(RegistryTimeouts.DEFAULTS)
        .isEqualTo(
            new RegistryTimeouts(
                Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5), 256 * 1024));
    assertThat(List.of(RegistryTimeouts.describe(Duration.ofMillis(1500))))
        .containsExactly("1500 ms");
  }
}

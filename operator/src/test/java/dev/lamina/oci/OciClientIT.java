package dev.lamina.oci;

import static dev.lamina.oci.TestContent.pushImage;
import static dev.lamina.oci.TestContent.read;
import static dev.lamina.oci.TestContent.utf8;
import static dev.lamina.testing.TestLayers.pushBlob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.TestRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OciClientIT {
  private static TestRegistry registry;
  private static OciClient client;

  @BeforeAll
  static void start() throws IOException {
    registry = TestRegistry.start();
    client = OciClient.builder().credentials(DockerConfig.empty()).build();
  }

  @AfterAll
  static void stop() throws IOException {
    if (registry != null) {
      registry.close();
    }
  }

  private OciRepository repo(String name) {
    return client.repository(registry.host() + "/" + name);
  }

  @Test
  void blobsAndTaggedManifestRoundTrip() throws IOException {
    OciRepository repo = repo("lamina/roundtrip");
    byte[] kernel = utf8("not really a kernel, but bytes all the same");
    Descriptor config = pushBlob(repo, utf8("{}"), MediaTypes.OCI_EMPTY);
    Descriptor layer = pushBlob(repo, kernel, MediaTypes.OCTET_STREAM);
    ImageManifest manifest =
        ImageManifest.of(
            "application/vnd.lamina.test",
            config,
            List.of(layer),
            Map.of("org.opencontainers.image.title", "kernel"));

    Descriptor pushed = repo.pushManifest(manifest.toJson(), MediaTypes.OCI_MANIFEST, "v1");

    assertThat(repo.hasBlob(layer.digest())).isTrue();
    assertThat(read(repo, layer)).isEqualTo(kernel);
    assertThat(repo.resolveTag("v1")).contains(pushed);
    assertThat(repo.manifestBytes(pushed.digest())).isEqualTo(manifest.toJson());
    assertThat(ImageManifest.parse(repo.manifestBytes(pushed.digest()))).isEqualTo(manifest);
    assertThat(repo.resolveTag("v2")).isEmpty();
    // One GET: the descriptor and the bytes it hashes, or empty for a tag that is not there.
    OciRepository.Tagged tagged = repo.readTag("v1").orElseThrow();
    assertThat(tagged.descriptor()).isEqualTo(pushed);
    assertThat(tagged.bytes()).isEqualTo(manifest.toJson());
    assertThat(repo.readTag("v2")).isEmpty();
  }

  @Test
  void indexResolvesEachPlatform() throws IOException {
    OciRepository repo = repo("lamina/multiarch");
    Descriptor amd64 = pushImage(repo, Platform.parse("linux/amd64"), utf8("amd64 layer"));
    Descriptor arm64 = pushImage(repo, Platform.parse("linux/arm64/v8"), utf8("arm64 layer!"));
    Descriptor arm = pushImage(repo, Platform.parse("linux/arm/v7"), utf8("arm"));
    Descriptor index =
        repo.pushManifest(
            ImageIndex.of(List.of(amd64, arm64, arm), Map.of()).toJson(),
            MediaTypes.OCI_INDEX,
            "1.0");

    Platform riscv = Platform.parse("linux/riscv64");
    ResolvedImage resolved =
        client.resolve(
            registry.host() + "/lamina/multiarch:1.0",
            List.of(
                Platform.parse("linux/amd64"),
                Platform.parse("linux/arm64"),
                Platform.parse("linux/arm64/v8"),
                riscv));

    assertThat(resolved.indexDigest()).isEqualTo(index.digest());
    assertThat(resolved.manifests())
        .containsEntry(Platform.parse("linux/amd64"), amd64)
        .containsEntry(Platform.parse("linux/arm64"), arm64)
        .containsEntry(Platform.parse("linux/arm64/v8"), arm64)
        .hasSize(3);
    assertThat(resolved.layersSize())
        .containsEntry(Platform.parse("linux/amd64"), (long) "amd64 layer".length())
        .containsEntry(Platform.parse("linux/arm64"), (long) "arm64 layer!".length());
    assertThat(resolved.missing()).containsExactly(riscv);
  }

  @Test
  void singleManifestServesThePlatformItsConfigNames() throws IOException {
    OciRepository repo = repo("lamina/single");
    Descriptor m = pushImage(repo, Platform.parse("linux/arm64"), utf8("only arm64"));

    ResolvedImage resolved =
        client.resolve(
            registry.host() + "/lamina/single@" + m.digest(),
            List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64")));

    assertThat(resolved.indexDigest()).isNull();
    assertThat(resolved.manifests().keySet()).containsExactly(Platform.parse("linux/arm64"));
    assertThat(resolved.manifests().get(Platform.parse("linux/arm64")).digest())
        .isEqualTo(m.digest());
    assertThat(resolved.missing()).containsExactly(Platform.parse("linux/amd64"));
  }

  @Test
  void emptyBlobIsPushed() throws IOException {
    OciRepository repo = repo("lamina/empty");
    Descriptor d = pushBlob(repo, new byte[0], MediaTypes.OCTET_STREAM);

    assertThat(repo.hasBlob(d.digest())).isTrue();
    assertThat(read(repo, d)).isEmpty();
  }

  @Test
  void secondPushOfABlobOnlyChecksThatItExists() throws IOException {
    OciRepository repo = repo("lamina/dedup");
    byte[] bytes = utf8("pushed twice, uploaded once");
    Descriptor d = TestContent.descriptor(bytes, MediaTypes.OCTET_STREAM);
    int[] opened = new int[1];
    IoSupplier<InputStream> content =
        () -> {
          opened[0]++;
          return new ByteArrayInputStream(bytes);
        };

    repo.pushBlob(d, content, null);
    repo.pushBlob(d, content, null);

    String head = "HEAD /v2/lamina/dedup/blobs/" + d.digest();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> registry.requests().stream().filter(r -> r.startsWith(head)).count() == 2);
    List<String> requests = registry.requests();
    assertThat(requests).contains(head + " 404", head + " 200");
    assertThat(requests.stream().filter(r -> r.startsWith("PUT /v2/lamina/dedup/blobs/uploads/")))
        .hasSize(1);
    assertThat(opened[0]).isEqualTo(1);
  }

  @Test
  void blobFromAnotherRepositoryIsMountedNotUploaded() throws IOException {
    OciRepository source = repo("lamina/mount-source");
    OciRepository target = repo("lamina/mount-target");
    byte[] bytes = utf8("shared layer");
    Descriptor d = pushBlob(source, bytes, MediaTypes.OCI_LAYER);

    target.pushBlob(
        d,
        () -> {
          throw new IOException("content must not be read when the blob can be mounted");
        },
        registry.host() + "/lamina/mount-source");

    assertThat(read(target, d)).isEqualTo(bytes);
    String mount =
        "POST /v2/lamina/mount-target/blobs/uploads/?mount="
            + d.digest().replace(":", "%3A")
            + "&from=lamina%2Fmount-source 201";
    await().atMost(Duration.ofSeconds(5)).until(() -> registry.requests().contains(mount));
  }

  @Test
  void corruptedBlobFailsWhileStreaming() throws IOException {
    OciRepository repo = repo("lamina/corrupt");
    byte[] bytes = utf8("the registry will hand out other bytes of the same length");
    Descriptor d = pushBlob(repo, bytes, MediaTypes.OCTET_STREAM);
    byte[] corrupted = bytes.clone();
    corrupted[corrupted.length - 1] ^= 1;
    Files.write(registry.blobFile(d.digest()), corrupted);

    try (InputStream in = repo.openBlob(d)) {
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(DigestMismatchException.class)
          .hasMessageContaining(d.digest());
    }
  }

  @Test
  void missingTagIsNotFoundAndNamesTheReference() throws IOException {
    pushImage(repo("lamina/present"), Platform.parse("linux/amd64"), utf8("x"));
    String reference = registry.host() + "/lamina/present:no-such-tag";

    assertThatThrownBy(() -> client.resolve(reference, List.of(Platform.linux("amd64"))))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(reference);
    String missing = Digests.sha256(utf8("never pushed"));
    assertThatThrownBy(
            () ->
                repo("lamina/present")
                    .openBlob(new Descriptor(MediaTypes.OCTET_STREAM, missing, 12)))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(registry.host() + "/lamina/present@" + missing);
  }
}

package dev.lamina.oci;

import static dev.lamina.oci.TestContent.pushImage;
import static dev.lamina.oci.TestContent.read;
import static dev.lamina.oci.TestContent.utf8;
import static dev.lamina.testing.TestLayers.pushBlob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryAuthIT {
  @TempDir Path tmp;

  /** A docker config file as a mounted dockerconfigjson Secret provides it. */
  private OciClient clientWith(String registry, String user, String password) throws IOException {
    String auth = Base64.getEncoder().encodeToString(utf8(user + ":" + password));
    Path dir = Files.createTempDirectory(tmp, "secret");
    Files.writeString(
        dir.resolve(".dockerconfigjson"),
        "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + auth + "\"}}}");
    return OciClient.builder().dockerConfig(dir).build();
  }

  private static OciClient anonymous() throws IOException {
    return OciClient.builder().credentials(DockerConfig.empty()).build();
  }

  @Test
  void basicAuthWithRightPasswordPushesAndPulls() throws Exception {
    try (TestRegistry registry = TestRegistry.builder().basicAuth("alice", "s3cret").start()) {
      OciClient client = clientWith(registry.host(), "alice", "s3cret");
      OciRepository repo = client.repository(registry.host() + "/lamina/private");
      Descriptor m = pushImage(repo, Platform.linux("amd64"), utf8("private layer"));
      repo.pushManifest(repo.manifestBytes(m.digest()), m.mediaType(), "latest");

      ResolvedImage resolved =
          client.resolve(registry.host() + "/lamina/private", List.of(Platform.linux("amd64")));

      assertThat(resolved.manifests().get(Platform.linux("amd64")).digest()).isEqualTo(m.digest());
    }
  }

  @Test
  void basicAuthRefusalNamesTheRegistry() throws Exception {
    try (TestRegistry registry = TestRegistry.builder().basicAuth("alice", "s3cret").start()) {
      OciRepository wrong =
          clientWith(registry.host(), "alice", "guess").repository(registry.host() + "/lamina/x");
      OciRepository none = anonymous().repository(registry.host() + "/lamina/x");

      assertThatThrownBy(() -> wrong.resolveTag("latest"))
          .isInstanceOf(AuthException.class)
          .hasMessageContaining(registry.host())
          .hasMessageContaining("alice")
          .hasMessageContaining("UNAUTHORIZED");
      assertThatThrownBy(() -> none.hasBlob(Digests.sha256(utf8("x"))))
          .isInstanceOf(AuthException.class)
          .hasMessageContaining(registry.host())
          .hasMessageContaining("requires credentials");
    }
  }

  @Test
  void bearerTokenFlowPushesPullsAndMounts() throws Exception {
    try (TestTokenServer tokens = new TestTokenServer("bob", "hunter2");
        TestRegistry registry =
            TestRegistry.builder()
                .tokenAuth(
                    tokens.realm(),
                    TestTokenServer.SERVICE,
                    TestTokenServer.ISSUER,
                    tokens.rootCertBundle())
                .start()) {
      OciClient client = clientWith(registry.host(), "bob", "hunter2");
      OciRepository source = client.repository(registry.host() + "/team/source");
      OciRepository target = client.repository(registry.host() + "/team/target");
      byte[] layer = utf8("layer behind a token");
      Descriptor d = pushBlob(source, layer, MediaTypes.OCI_LAYER);

      target.pushBlob(
          d,
          () -> {
            throw new IOException("must be mounted, not uploaded");
          },
          registry.host() + "/team/source");

      assertThat(read(target, d)).isEqualTo(layer);
      assertThat(tokens.scopeRequests())
          .anySatisfy(
              scopes ->
                  assertThat(scopes)
                      .contains("repository:team/target:pull,push", "repository:team/source:pull"));
      String mount =
          "POST /v2/team/target/blobs/uploads/?mount="
              + d.digest().replace(":", "%3A")
              + "&from=team%2Fsource 201";
      await().atMost(Duration.ofSeconds(5)).until(() -> registry.requests().contains(mount));
    }
  }

  @Test
  void bearerTokenRefusalNamesTheRegistry() throws Exception {
    try (TestTokenServer tokens = new TestTokenServer("bob", "hunter2");
        TestRegistry registry =
            TestRegistry.builder()
                .tokenAuth(
                    tokens.realm(),
                    TestTokenServer.SERVICE,
                    TestTokenServer.ISSUER,
                    tokens.rootCertBundle())
                .start()) {
      OciRepository wrong =
          clientWith(registry.host(), "bob", "hunter3").repository(registry.host() + "/team/x");
      OciRepository none = anonymous().repository(registry.host() + "/team/x");

      assertThatThrownBy(() -> wrong.resolveTag("latest"))
          .isInstanceOf(AuthException.class)
          .hasMessageContaining(registry.host())
          .hasMessageContaining("incorrect username or password");
      // An anonymous token grants nothing here, so the registry refuses it.
      assertThatThrownBy(() -> none.resolveTag("latest"))
          .isInstanceOf(AuthException.class)
          .hasMessageContaining(registry.host());
    }
  }
}

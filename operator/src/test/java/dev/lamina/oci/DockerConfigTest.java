package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {
  @TempDir Path tmp;

  private static String auth(String userPassword) {
    return Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsAuthAndUsernamePasswordEntries() throws Exception {
    String json =
        "{\"auths\":{"
            + "\"https://index.docker.io/v1/\":{\"auth\":\""
            + auth("hub:pw:with:colons")
            + "\"},"
            + "\"registry.example.com:5443\":{\"username\":\"u\",\"password\":\"p\"},"
            + "\"https://ghcr.io/v2/\":{\"auth\":\""
            + auth("gh:token")
            + "\"}}}";

    DockerConfig config = DockerConfig.parse(json.getBytes(StandardCharsets.UTF_8), "test");

    assertThat(config.credentials("docker.io"))
        .contains(new DockerConfig.Credentials("hub", "pw:with:colons"));
    assertThat(config.credentials("registry.example.com:5443"))
        .contains(new DockerConfig.Credentials("u", "p"));
    assertThat(config.credentials("ghcr.io")).contains(new DockerConfig.Credentials("gh", "token"));
    assertThat(config.credentials("registry.example.com")).isEmpty();
  }

  @Test
  void readsAMountedDockerconfigjsonSecretDirectory() throws Exception {
    Files.writeString(
        tmp.resolve(".dockerconfigjson"),
        "{\"auths\":{\"127.0.0.1:5001\":{\"auth\":\"" + auth("a:b") + "\"}}}");

    assertThat(DockerConfig.read(tmp).credentials("127.0.0.1:5001"))
        .contains(new DockerConfig.Credentials("a", "b"));
  }

  @Test
  void badFilesGiveOneLineErrors() throws Exception {
    Path bad =
        Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"x\":{\"auth\":\"%%\"}}}");

    assertThatThrownBy(() -> DockerConfig.read(bad))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("auth of x is not base64");
    assertThatThrownBy(() -> DockerConfig.read(tmp.resolve("missing.json")))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("does not exist");
  }
}

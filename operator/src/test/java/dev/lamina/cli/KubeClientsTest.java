package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import org.junit.jupiter.api.Test;

class KubeClientsTest {
  private static Config kubeconfig(String user) {
    return Config.fromKubeconfig(
        null,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
        users:
        - name: u
          user: %s
        contexts:
        - name: x
          context: {cluster: c, user: u}
        current-context: x
        """
            .formatted(user),
        null);
  }

  @Test
  void onlyACertificateConfigGetsTheEmptyTokenProvider() {
    assertThat(
            KubeClients.certificateOnly(
                kubeconfig("{client-certificate-data: QUJD, client-key-data: QUJD}")))
        .isTrue();
    assertThat(KubeClients.certificateOnly(kubeconfig("{token: abc}"))).isFalse();
    assertThat(
            KubeClients.certificateOnly(
                kubeconfig("{client-certificate-data: QUJD, client-key-data: QUJD, token: abc}")))
        .isFalse();
    assertThat(KubeClients.certificateOnly(kubeconfig("{username: a, password: b}"))).isFalse();
  }
}

package dev.lamina.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** The Kubernetes client of the long-running commands. */
final class KubeClients {
  private KubeClients() {}

  /**
   * A client configured as kubectl would be (kubeconfig, else the pod's ServiceAccount).
   *
   * <p>fabric8 7.5 looks for a fresh token before a request once a minute has passed since it last
   * found one. A kubeconfig that authenticates with a client certificate has none to find, so from
   * the second minute on it re-read and re-parsed the kubeconfig before every request: 14% of the
   * operator's CPU time over 5000 OSImages in ScaleBenchmark. For such a config a token provider
   * that has no token ends the search at once; the certificate still authenticates the TLS
   * connection, and no Authorization header is sent, as before.
   */
  static KubernetesClient create() {
    Config config = Config.autoConfigure(null);
    if (certificateOnly(config)) {
      config.setOauthTokenProvider(() -> null);
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  static boolean certificateOnly(Config config) {
    return (config.getClientCertData() != null || config.getClientCertFile() != null)
        && config.getOauthToken() == null
        && config.getAutoOAuthToken() == null
        && config.getOauthTokenProvider() == null
        && config.getAuthProvider() == null
        && config.getUsername() == null;
  }
}

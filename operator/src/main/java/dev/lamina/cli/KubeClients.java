package dev.lamina.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

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
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new SoftwareCiphersFirst())
        .build();
  }

  /**
   * The JDK's HTTP client, offering ChaCha20-Poly1305 before AES-GCM (every suite stays enabled).
   *
   * <p>The operator runs with C1 only (deploy/base/operator.yaml), and C1 does not use the CPU's
   * AES and GHASH instructions: AES-GCM ran as plain Java, 15% of the operator's CPU in a profile
   * of ScaleBenchmark at 5000 OSImages, most of it decrypting the apiserver's watch events and
   * responses. ChaCha20-Poly1305 was made for software, and encrypts about three times as many
   * bytes per CPU-second there. Go's TLS server (the apiserver) takes it when the client lists it
   * first.
   */
  static final class SoftwareCiphersFirst extends JdkHttpClientFactory {
    @Override
    protected void additionalConfig(java.net.http.HttpClient.Builder builder) {
      builder.sslParameters(parameters());
    }

    static SSLParameters parameters() {
      SSLParameters defaults;
      try {
        defaults = SSLContext.getDefault().getDefaultSSLParameters();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      List<String> suites = new ArrayList<>(List.of(defaults.getCipherSuites()));
      List<String> chacha = suites.stream().filter(c -> c.contains("CHACHA20")).toList();
      suites.removeAll(chacha);
      suites.addAll(0, chacha);
      return new SSLParameters(suites.toArray(String[]::new), defaults.getProtocols());
    }
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

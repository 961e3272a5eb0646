package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientImpl;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The operator's TLS to the real kube-apiserver: ChaCha20-Poly1305 offered first, and taken. */
@ExtendWith(ControlPlaneExtension.class)
class KubeClientsTlsIT {
  @Test
  void theApiserverTakesTheSoftwareCipherTheOperatorOffersFirst(ControlPlane cluster)
      throws Exception {
    String previous = System.getProperty("kubeconfig");
    System.setProperty("kubeconfig", cluster.kubeconfigPath().toString());
    try (KubernetesClient client = KubeClients.create()) {
      // fabric8 keeps the JDK client to itself (a package-private getter).
      Method jdk = JdkHttpClientImpl.class.getDeclaredMethod("getHttpClient");
      jdk.setAccessible(true);
      HttpClient http = (HttpClient) jdk.invoke(client.getHttpClient());
      assertThat(http.sslParameters().getCipherSuites()[0]).contains("CHACHA20_POLY1305");
      assertThat(client.getKubernetesVersion().getGitVersion()).startsWith("v1.");

      // The handshake itself, with the same parameters: what the apiserver picks from them.
      HttpClient probe =
          HttpClient.newBuilder()
              // Over HTTP/2 this unauthenticated request met a GOAWAY; the cipher is the same.
              .version(HttpClient.Version.HTTP_1_1)
              .sslContext(trustingAll())
              .sslParameters(KubeClients.SoftwareCiphersFirst.parameters())
              .build();
      HttpResponse<Void> r =
          probe.send(
              HttpRequest.newBuilder(URI.create(client.getMasterUrl() + "version")).build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(r.sslSession().orElseThrow().getCipherSuite())
          .isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
  }

  /** The probe checks the cipher, not the certificate (the client above checks that). */
  private static SSLContext trustingAll() throws Exception {
    TrustManager all =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(null, new TrustManager[] {all}, new SecureRandom());
    return c;
  }
}

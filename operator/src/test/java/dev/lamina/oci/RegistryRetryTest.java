package dev.lamina.oci;

import static dev.lamina.oci.TestContent.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries against a fault injector: a loopback HTTP server that fails a set number of manifest
 * requests with 503 and then serves the manifest.
 */
class RegistryRetryTest {
  private static final byte[] MANIFEST =
      ImageManifest.of(
              null,
              new Descriptor(MediaTypes.OCI_EMPTY, Digests.sha256(utf8("{}")), 2),
              java.util.List.of(),
              java.util.Map.of())
          .toJson();
  private static final String DIGEST = Digests.sha256(MANIFEST);

  private HttpServer faultInjector;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int failures;
  private volatile int failStatus = 503;
  private OciClient client;

  @BeforeEach
  void start() throws IOException {
    faultInjector =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    faultInjector.createContext("/v2/lamina/flaky/manifests/", this::answer);
    faultInjector.start();
    client =
        OciClient.builder()
            .credentials(DockerConfig.empty())
            .retries(3, Duration.ofMillis(10))
            .build();
  }

  @AfterEach
  void stop() {
    faultInjector.stop(0);
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      int n = requests.incrementAndGet();
      boolean fail = n <= failures;
      byte[] body =
          fail
              ? utf8("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}")
              : MANIFEST;
      exchange
          .getResponseHeaders()
          .set("Content-Type", fail ? "application/json" : MediaTypes.OCI_MANIFEST);
      exchange.sendResponseHeaders(fail ? failStatus : 200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private OciRepository repo() {
    return client.repository("127.0.0.1:" + faultInjector.getAddress().getPort() + "/lamina/flaky");
  }

  @Test
  void serverErrorsAreRetriedUntilTheRegistryAnswers() throws IOException {
    failures = 2;

    assertThat(repo().manifestBytes(DIGEST)).isEqualTo(MANIFEST);
    assertThat(requests).hasValue(3);
  }

  @Test
  void retriesAreBoundedAndTheLastErrorIsReported() {
    failures = Integer.MAX_VALUE;

    assertThatThrownBy(() -> repo().manifestBytes(DIGEST))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("after 3 attempts")
        .hasMessageContaining("503 UNAVAILABLE: injected");
    assertThat(requests).hasValue(3);
  }

  @Test
  void clientErrorsAreNotRetried() {
    failures = Integer.MAX_VALUE;
    failStatus = 400;

    assertThatThrownBy(() -> repo().manifestBytes(DIGEST))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("HTTP 400");
    assertThat(requests).hasValue(1);
  }

  @Test
  void connectionErrorsAreRetriedThenReported() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    OciRepository nowhere = client.repository("127.0.0.1:" + closedPort + "/lamina/flaky");

    assertThatThrownBy(() -> nowhere.manifestBytes(DIGEST))
        .isInstanceOf(OciException.class)
        .hasMessageContaining("after 3 attempts")
        .hasMessageContaining("ConnectException");
  }
}

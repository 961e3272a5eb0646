package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The probes the Deployment points at: {@code lamina operator} answers /healthz and /readyz. */
@ExtendWith(ControlPlaneExtension.class)
class OperatorHealthIT {
  @Test
  void startedOperatorAnswersItsHealthAndReadinessProbes(ControlPlane cluster) throws Exception {
    try (OperatorProcess operator = OperatorProcess.start(cluster, List.of("-Xmx256m"))) {
      int port = operator.metricsPort();
      HttpClient http = HttpClient.newHttpClient();
      for (String probe : List.of("/healthz", "/readyz")) {
        HttpRequest get =
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + probe)).build();
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> {
                  HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                  assertThat(r.statusCode()).as(probe + ": " + operator.output()).isEqualTo(200);
                  assertThat(r.body()).isEqualTo("ok\n");
                });
      }
      assertThat(operator.process.isAlive()).isTrue();
    }
  }
}

package dev.lamina.cli;

import com.sun.net.httpserver.HttpServer;
import dev.lamina.reconcile.OperatorMain;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the operator against the kubeconfig or the in-cluster configuration. */
@Command(name = "operator", description = "Run the Lamina operator.", mixinStandardHelpOptions = true)
public final class OperatorCommand implements Callable<Integer> {
  @Option(
      names = "--health-port",
      defaultValue = "8081",
      description = "Port of /healthz and /readyz (0 picks a free one).")
  int healthPort;

  @Option(
      names = "--health-address",
      defaultValue = "0.0.0.0",
      description = "Address the health endpoints listen on.")
  String healthAddress;

  @Override
  public Integer call() throws Exception {
    KubernetesClient client = new KubernetesClientBuilder().build();
    OperatorMain operator = new OperatorMain(client);
    HttpServer health = HttpServer.create(new InetSocketAddress(healthAddress, healthPort), 0);
    health.createContext("/healthz", ex -> respond(ex, operator.isHealthy()));
    health.createContext("/readyz", ex -> respond(ex, operator.isReady()));
    health.start();
    System.err.println("lamina operator: health on port " + health.getAddress().getPort());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  operator.stop();
                  health.stop(0);
                  client.close();
                  stopped.countDown();
                }));
    operator.start();
    stopped.await();
    return 0;
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, boolean ok)
      throws java.io.IOException {
    byte[] body = (ok ? "ok\n" : "not ready\n").getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}

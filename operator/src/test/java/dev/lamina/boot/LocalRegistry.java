package dev.lamina.boot;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry on a free loopback port, storing in a directory of its own. Stands in
 * for dev.lamina.testing.TestRegistry until that lands.
 */
public final class LocalRegistry implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;

  private LocalRegistry(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static LocalRegistry start(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("storage"));
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Path config = dir.resolve("config.yml");
    Files.writeString(
        config,
        """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: %s
        http:
          addr: 127.0.0.1:%d
        """
            .formatted(dir.resolve("storage"), port));
    Path log = dir.resolve("registry.log");
    Process process =
        new ProcessBuilder("docker-registry", "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    LocalRegistry registry = new LocalRegistry(process, port, log);
    HttpClient http = HttpClient.newHttpClient();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException("registry exited: " + Files.readString(log));
                }
                HttpRequest ping =
                    HttpRequest.newBuilder(URI.create(registry.url() + "/v2/")).build();
                return http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
              });
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  /** host:port, as image references spell it. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public String url() {
    return "http://" + host();
  }

  /** The digest the registry gives for a tag, asking for the one media type accepted. */
  public String digestOf(String repository, String tag, String mediaType)
      throws IOException, InterruptedException {
    HttpRequest head =
        HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository + "/manifests/" + tag))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Accept", mediaType)
            .build();
    HttpResponse<Void> response =
        HttpClient.newHttpClient().send(head, HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() != 200) {
      throw new IOException("HEAD " + head.uri() + ": HTTP " + response.statusCode());
    }
    return response.headers().firstValue("Docker-Content-Digest").orElseThrow();
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}

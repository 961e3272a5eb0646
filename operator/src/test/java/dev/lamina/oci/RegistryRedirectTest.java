package dev.lamina.oci;

import static dev.lamina.oci.TestContent.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Blob downloads that a registry redirects to separate storage, as Docker Hub does. Two loopback
 * stand-ins: a registry front that demands basic auth and redirects blob requests, and a storage
 * server that records the Authorization headers it receives.
 */
class RegistryRedirectTest {
  private static final byte[] BLOB = utf8("bytes kept in object storage");

  @Test
  void credentialsAreNotSentToTheRedirectTarget() throws IOException {
    List<String> storageAuthorizations = new CopyOnWriteArrayList<>();
    HttpServer storage = server();
    storage.createContext(
        "/",
        exchange -> {
          storageAuthorizations.add(
              String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          respond(exchange, 200, BLOB);
        });
    HttpServer front = server();
    front.createContext(
        "/v2/",
        exchange -> {
          if (challenged(exchange)) {
            return;
          }
          exchange
              .getResponseHeaders()
              .set(
                  "Location",
                  "http://127.0.0.1:" + storage.getAddress().getPort() + "/bucket/blob?sig=x");
          respond(exchange, 307, new byte[0]);
        });
    try {
      String registry = "127.0.0.1:" + front.getAddress().getPort();
      byte[] read = readBlobAsUser(registry + "/lamina/redirected");

      assertThat(read).isEqualTo(BLOB);
      assertThat(storageAuthorizations).containsExactly("null");
    } finally {
      front.stop(0);
      storage.stop(0);
    }
  }

  @Test
  void credentialsFollowARedirectWithinTheSameOrigin() throws IOException {
    List<String> authorizations = new CopyOnWriteArrayList<>();
    HttpServer front = server();
    front.createContext(
        "/v2/",
        exchange -> {
          if (challenged(exchange)) {
            return;
          }
          authorizations.add(exchange.getRequestURI().getPath());
          if (exchange.getRequestURI().getPath().startsWith("/v2/moved/")) {
            respond(exchange, 200, BLOB);
            return;
          }
          exchange.getResponseHeaders().set("Location", "/v2/moved/blob");
          respond(exchange, 302, new byte[0]);
        });
    try {
      String registry = "127.0.0.1:" + front.getAddress().getPort();
      byte[] read = readBlobAsUser(registry + "/lamina/moved");

      assertThat(read).isEqualTo(BLOB);
      assertThat(authorizations).last().isEqualTo("/v2/moved/blob");
    } finally {
      front.stop(0);
    }
  }

  /** Reads {@link #BLOB} from {@code repository} with basic credentials for its registry. */
  private static byte[] readBlobAsUser(String repository) throws IOException {
    String registry = repository.substring(0, repository.indexOf('/'));
    OciClient client =
        OciClient.builder()
            .credentials(
                DockerConfig.parse(
                    utf8(
                        "{\"auths\":{\""
                            + registry
                            + "\":{\"username\":\"u\",\"password\":\"p\"}}}"),
                    "test"))
            .build();
    Descriptor d = TestContent.descriptor(BLOB, MediaTypes.OCTET_STREAM);
    try (InputStream in = client.repository(repository).openBlob(d)) {
      return in.readAllBytes();
    }
  }

  /** Answers 401 with a basic challenge when the request has no credentials. */
  private static boolean challenged(HttpExchange exchange) throws IOException {
    if (exchange.getRequestHeaders().getFirst("Authorization") != null) {
      return false;
    }
    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"front\"");
    respond(exchange, 401, utf8("{}"));
    return true;
  }

  private static HttpServer server() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.start();
    return server;
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    try (exchange) {
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}

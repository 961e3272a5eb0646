package dev.lamina.testing;

import static org.awaitility.Awaitility.await;

import dev.lamina.files.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * A real OCI distribution registry for tests: Debian's {@code docker-registry} serving on a free
 * 127.0.0.1 port from its own temporary storage, optionally behind htpasswd basic auth or token
 * auth. Closing it stops the process and deletes the storage.
 */
public final class TestRegistry implements AutoCloseable {
  private static final Pattern ACCESS_LINE =
      Pattern.compile("\"(\\S+) (\\S+) HTTP/[0-9.]+\" (\\d{3}) ");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final Process process;
  private final int port;

  private TestRegistry(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /** A registry without authentication. */
  public static TestRegistry start() throws IOException {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code 127.0.0.1:PORT}, the registry part of image references. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** The registry's storage root (the filesystem driver's rootdirectory). */
  public Path storage() {
    return dir.resolve("storage");
  }

  /** Where the registry keeps the bytes of a blob. */
  public Path blobFile(String digest) {
    String hex = digest.substring(digest.indexOf(':') + 1);
    return storage()
        .resolve("docker/registry/v2/blobs/sha256")
        .resolve(hex.substring(0, 2))
        .resolve(hex)
        .resolve("data");
  }

  /**
   * The requests the registry has logged so far, as {@code METHOD URI STATUS}, in the order they
   * completed. A request shows up shortly after its response, so wait for the last one expected.
   */
  public List<String> requests() {
    List<String> result = new ArrayList<>();
    try (Stream<String> lines = Files.lines(dir.resolve("access.log"))) {
      lines.forEach(
          line -> {
            Matcher m = ACCESS_LINE.matcher(line);
            if (m.find()) {
              result.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return result;
  }

  /** The registry's own log (stderr). */
  public String log() {
    try {
      return Files.readString(dir.resolve("registry.log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    Trees.delete(dir);
  }

  /** Options: authentication. */
  public static final class Builder {
    private String authYaml = "";
    private String htpasswdLine;

    private Builder() {}

    /** Require HTTP basic auth for this one user. */
    public Builder basicAuth(String user, String password) {
      // bcrypt is what the registry's htpasswd reader accepts; Bouncy Castle is on the test
      // classpath already, so no htpasswd binary is needed.
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      htpasswdLine = user + ":" + OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, 5);
      authYaml = "auth:\n  htpasswd:\n    realm: lamina-test\n    path: %HTPASSWD%\n";
      return this;
    }

    /**
     * Require bearer tokens from {@code realm}, signed by a key whose certificate is in {@code
     * rootCertBundle}.
     */
    public Builder tokenAuth(String realm, String service, String issuer, Path rootCertBundle) {
      authYaml =
          "auth:\n  token:\n"
              + "    realm: "
              + realm
              + "\n"
              + "    service: "
              + service
              + "\n"
              + "    issuer: "
              + issuer
              + "\n"
              + "    rootcertbundle: "
              + rootCertBundle.toAbsolutePath()
              + "\n";
      return this;
    }

    public TestRegistry start() throws IOException {
      Path binary = findBinary();
      Path dir = Files.createTempDirectory("lamina-registry-");
      try {
        Files.createDirectories(dir.resolve("storage"));
        String auth = authYaml;
        if (htpasswdLine != null) {
          Path htpasswd = dir.resolve("htpasswd");
          Files.writeString(htpasswd, htpasswdLine + "\n");
          auth = auth.replace("%HTPASSWD%", htpasswd.toString());
        }
        // Another process may take the port between choosing and binding it: try again then.
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
          int port = freePort();
          Path config = dir.resolve("config.yml");
          Files.writeString(config, config(dir, port, auth));
          Process process =
              new ProcessBuilder(binary.toString(), "serve", config.toString())
                  .redirectOutput(dir.resolve("access.log").toFile())
                  .redirectError(dir.resolve("registry.log").toFile())
                  .start();
          TestRegistry registry = new TestRegistry(dir, process, port);
          if (registry.awaitReady()) {
            return registry;
          }
          process.destroyForcibly();
          last = new IOException("docker-registry did not start: " + tail(registry.log()));
        }
        throw last;
      } catch (IOException | RuntimeException e) {
        Trees.delete(dir);
        throw e;
      }
    }

    private static String config(Path dir, int port, String auth) {
      return "version: 0.1\n"
          + "log:\n  level: info\n  accesslog:\n    disabled: false\n"
          + "storage:\n  filesystem:\n    rootdirectory: "
          + dir.resolve("storage")
          + "\n"
          + "  delete:\n    enabled: true\n"
          + "http:\n  addr: 127.0.0.1:"
          + port
          + "\n  secret: lamina-test-registry\n"
          + auth;
    }

    private static String tail(String log) {
      List<String> lines = log.lines().toList();
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }
  }

  /** True once {@code /v2/} answers; false if the process exited first. */
  private boolean awaitReady() {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest ping =
        HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/"))
            .timeout(Duration.ofSeconds(2))
            .build();
    await()
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(
            () -> {
              if (!process.isAlive()) {
                return true;
              }
              int status = client.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
              return status == 200 || status == 401;
            });
    return process.isAlive();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Path findBinary() {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
    for (String entry : path.split(":")) {
      if (entry.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(entry, "docker-registry");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "docker-registry is not installed: install the Debian package docker-registry "
            + "(apt-get install -y docker-registry)");
  }
}

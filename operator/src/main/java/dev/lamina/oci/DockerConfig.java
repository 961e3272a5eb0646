package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Registry credentials from a Docker config file: {@code config.json}, or the {@code
 * .dockerconfigjson} key of a kubernetes.io/dockerconfigjson Secret, which has the same shape. Only
 * inline credentials ({@code auth}, or {@code username} and {@code password}) are read; credential
 * helpers are not run.
 */
public final class DockerConfig {
  /** A user name and password (or token) for one registry. */
  public record Credentials(String username, String password) {
    @Override
    public String toString() {
      return "Credentials[" + username + "]";
    }
  }

  private static final DockerConfig EMPTY = new DockerConfig(Map.of());
  private final Map<String, Credentials> byRegistry;

  private DockerConfig(Map<String, Credentials> byRegistry) {
    this.byRegistry = Map.copyOf(byRegistry);
  }

  public static DockerConfig empty() {
    return EMPTY;
  }

  /**
   * Reads a config file, or a directory holding {@code config.json} or {@code .dockerconfigjson} (a
   * mounted Secret).
   */
  public static DockerConfig read(Path fileOrDir) throws IOException {
    Path file = fileOrDir;
    if (Files.isDirectory(fileOrDir)) {
      file = fileOrDir.resolve("config.json");
      if (!Files.exists(file)) {
        file = fileOrDir.resolve(".dockerconfigjson");
      }
    }
    if (!Files.isRegularFile(file)) {
      throw new OciException("docker config " + file + " does not exist");
    }
    return parse(Files.readAllBytes(file), file.toString());
  }

  /**
   * The config Docker itself would use: {@code $DOCKER_CONFIG/config.json}, else {@code
   * ~/.docker/config.json}; empty when neither exists.
   */
  public static DockerConfig fromEnvironment() throws IOException {
    String dir = System.getenv("DOCKER_CONFIG");
    Path file =
        dir != null && !dir.isEmpty()
            ? Path.of(dir, "config.json")
            : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    return Files.isRegularFile(file) ? read(file) : EMPTY;
  }

  /** Parses config JSON; {@code source} names it in error messages. */
  public static DockerConfig parse(byte[] json, String source) throws OciException {
    JsonNode root = OciJson.parse(json, "docker config " + source);
    // The legacy .dockercfg format is the auths map itself.
    JsonNode auths = root.has("auths") ? root.get("auths") : root;
    Map<String, Credentials> result = new TreeMap<>();
    if (auths == null || !auths.isObject()) {
      return new DockerConfig(result);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Credentials c = credentials(e.getValue(), source, e.getKey());
      if (c != null) {
        result.put(normalize(e.getKey()), c);
      }
    }
    return new DockerConfig(result);
  }

  private static Credentials credentials(JsonNode entry, String source, String key)
      throws OciException {
    if (!entry.isObject()) {
      return null;
    }
    String auth = OciJson.text(entry, "auth");
    if (auth != null && !auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new OciException("docker config " + source + ": auth of " + key + " is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new OciException(
            "docker config " + source + ": auth of " + key + " is not base64 of user:password");
      }
      return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    String user = OciJson.text(entry, "username");
    String password = OciJson.text(entry, "password");
    return user != null && password != null ? new Credentials(user, password) : null;
  }

  /** Credentials for a registry host[:port] (Docker Hub is {@code docker.io}). */
  public Optional<Credentials> credentials(String registry) {
    return Optional.ofNullable(byRegistry.get(normalize(registry)));
  }

  /** Reduces a config key such as {@code https://index.docker.io/v1/} to host[:port]. */
  static String normalize(String key) {
    String k = key.strip().toLowerCase(Locale.ROOT);
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) {
      k = OciReference.DOCKER_HUB;
    }
    return k;
  }
}

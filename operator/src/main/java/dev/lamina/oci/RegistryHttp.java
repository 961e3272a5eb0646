package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the registry client: scheme choice, authentication (anonymous, basic, bearer
 * tokens), error messages and retries. Shared by all repositories of one client.
 */
final class RegistryHttp {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryHttp.class);
  private static final Pattern LOOPBACK_V4 =
      Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  private static final int ERROR_BODY_CAP = 64 * 1024;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** An operation that may be attempted more than once. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws IOException;
  }

  /**
   * Made on first use: building an {@link HttpClient} loads the TLS trust store, about a tenth of
   * {@code lamina build}'s start, which a build from OCI layouts never needs.
   */
  private final Supplier<HttpClient> http;

  private final Set<String> insecureHosts;
  private final DockerConfig config;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final RegistryTimeouts timeouts;
  private final RegistryExchange transport;
  // Authorization header values: bearer tokens by "registry scope", basic for registries that
  // asked for it, so later requests skip the 401 round trip.
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();

  RegistryHttp(
      Supplier<HttpClient> http,
      Set<String> insecureHosts,
      DockerConfig config,
      int maxAttempts,
      Duration initialBackoff,
      RegistryTimeouts timeouts) {
    this.http = memoize(http);
    this.insecureHosts = Set.copyOf(insecureHosts);
    this.config = config;
    this.maxAttempts = maxAttempts;
    this.initialBackoff = initialBackoff;
    this.timeouts = timeouts;
    this.transport = new RegistryExchange(http, timeouts);
  }

  private static Supplier<HttpClient> memoize(Supplier<HttpClient> make) {
    return new Supplier<>() {
      private volatile HttpClient made;

      @Override
      public HttpClient get() {
        HttpClient c = made;
        if (c == null) {
          synchronized (this) {
            c = made;
            if (c == null) {
              made = c = make.get();
            }
          }
        }
        return c;
      }
    };
  }

  RegistryHttp withConfig(DockerConfig other) {
    return new RegistryHttp(http, insecureHosts, other, maxAttempts, initialBackoff, timeouts);
  }

  RegistryTimeouts timeouts() {
    return timeouts;
  }

  /**
   * The time one {@link #send} may take, and what it is for in messages.
   *
   * @param registry the registry the request is for, as a user named it
   * @param what what is read or written, e.g. {@code blob lamina/x@sha256:…}
   * @param start {@link System#nanoTime()} when the request began
   * @param total its overall deadline, from {@code start}
   */
  record Budget(String registry, String what, long start, Duration total) {
    long deadline() {
      return start + total.toNanos();
    }

    Duration remaining() {
      return Duration.ofNanos(deadline() - System.nanoTime());
    }
  }

  /** A budget starting now: the plain request deadline, or a blob's, in proportion to its size. */
  Budget budget(String registry, String what, long blobBytes) {
    return new Budget(registry, what, System.nanoTime(), timeouts.forBytes(blobBytes));
  }

  /** {@code http://} for loopback and insecure hosts, {@code https://} otherwise. */
  URI base(String registry) {
    String host = registry.equals(OciReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
    return URI.create((plainHttpAllowed(registry) ? "http://" : "https://") + host);
  }

  boolean plainHttpAllowed(String hostPort) {
    String host = hostPort;
    if (host.startsWith("[")) {
      host = host.substring(1, Math.max(1, host.indexOf(']')));
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    host = host.toLowerCase(Locale.ROOT);
    return insecureHosts.contains(hostPort)
        || insecureHosts.contains(host)
        || host.equals("localhost")
        || host.equals("::1")
        || LOOPBACK_V4.matcher(host).matches();
  }

  /** Runs {@code attempt}, again after 5xx answers and connection errors, with backoff. */
  <T> T retry(String what, Attempt<T> attempt) throws IOException {
    Duration backoff = initialBackoff;
    for (int n = 1; ; n++) {
      try {
        return attempt.run();
      } catch (IOException e) {
        OciException oci = ociCause(e);
        boolean retriable =
            (oci == null || oci instanceof ServerErrorException)
                && !Thread.currentThread().isInterrupted();
        if (!retriable) {
          throw oci != null ? oci : e;
        }
        String reason = oci != null ? oci.getMessage() : what + ": " + describe(e);
        if (n >= maxAttempts) {
          throw new OciException(reason + " (gave up after " + n + " attempts)", e);
        }
        LOG.warn(
            "{} (attempt {} of {}, retrying in {} ms)", reason, n, maxAttempts, backoff.toMillis());
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException(what + " interrupted");
        }
        backoff =
            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                ? MAX_BACKOFF
                : backoff.multipliedBy(2);
      }
    }
  }

  private static OciException ociCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OciException oci) {
        return oci;
      }
    }
    return null;
  }

  private static String describe(Throwable e) {
    if (e instanceof ConnectException) {
      return "cannot connect (" + e.getClass().getSimpleName() + ")";
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  /**
   * Sends a request to the registry of {@code budget} within its time, authenticating for {@code
   * scope} (space-separated token scopes) when the registry asks. 401 after authenticating, and
   * 403, become an {@link AuthException}; other statuses are the caller's to judge. The body must
   * be closed.
   */
  HttpResponse<InputStream> send(String scope, HttpRequest request, Budget budget)
      throws IOException {
    String registry = budget.registry();
    String key = registry + " " + scope;
    String authorization =
        Optional.ofNullable(authorizations.get(key)).orElse(authorizations.get(registry));
    HttpResponse<InputStream> response = transport.exchange(request, authorization, budget);
    if (response.statusCode() == 401) {
      String header = response.headers().firstValue("WWW-Authenticate").orElse("");
      String message = errorMessage(response);
      authorization = authorize(registry, scope, AuthChallenge.parse(header), message);
      response = transport.exchange(request, authorization, budget);
      if (response.statusCode() == 401) {
        String reason = refusal(request, response, authorization, registry);
        throw new AuthException(
            config.credentials(registry).isPresent()
                ? registry + " refused the credentials" + forUser(registry) + ": " + reason
                : registry
                    + " refused anonymous access ("
                    + reason
                    + "); add credentials for it to the docker config");
      }
    }
    if (response.statusCode() == 403) {
      throw new AuthException(
          registry
              + " denied "
              + scope
              + forUser(registry)
              + ": "
              + refusal(request, response, authorization, registry));
    }
    return response;
  }

  /**
   * The registry's reason for a refusal. A HEAD answer has no body to carry it, so ask {@code /v2/}
   * with the same authorization for the message.
   */
  private String refusal(
      HttpRequest request,
      HttpResponse<InputStream> response,
      String authorization,
      String registry)
      throws IOException {
    String message = errorMessage(response);
    if (!request.method().equals("HEAD")) {
      return message;
    }
    HttpRequest.Builder probe = HttpRequest.newBuilder(request.uri().resolve("/v2/")).GET();
    if (authorization != null) {
      probe.header("Authorization", authorization);
    }
    HttpResponse<InputStream> answer =
        transport.exchange(probe.build(), null, budget(registry, "the reason of a refusal", 0));
    if (answer.statusCode() == 401 || answer.statusCode() == 403) {
      return errorMessage(answer);
    }
    answer.body().close();
    return message;
  }

  private String forUser(String registry) {
    return config
        .credentials(registry)
        .map(c -> " of user " + c.username())
        .orElse(" (no credentials for it in the docker config)");
  }

  private String authorize(String registry, String scope, AuthChallenge challenge, String message)
      throws IOException {
    Optional<DockerConfig.Credentials> credentials = config.credentials(registry);
    switch (challenge.scheme()) {
      case "basic":
        if (credentials.isEmpty()) {
          throw new AuthException(
              registry + " requires credentials and the docker config has none for it");
        }
        String basic = basic(credentials.get());
        authorizations.put(registry, basic);
        return basic;
      case "bearer":
        String token = "Bearer " + fetchToken(registry, challenge, scope, credentials);
        authorizations.put(registry + " " + scope, token);
        return token;
      default:
        throw new AuthException(
            registry
                + " asks for an unsupported authentication scheme \""
                + challenge.scheme()
                + "\": "
                + message);
    }
  }

  private String fetchToken(
      String registry,
      AuthChallenge challenge,
      String scope,
      Optional<DockerConfig.Credentials> credentials)
      throws IOException {
    String realm = challenge.param("realm");
    if (realm == null || realm.isEmpty()) {
      throw new AuthException(registry + " asks for a bearer token but names no realm");
    }
    URI realmUri = URI.create(realm);
    if (credentials.isPresent()
        && !"https".equalsIgnoreCase(realmUri.getScheme())
        && !plainHttpAllowed(realmUri.getAuthority())) {
      throw new AuthException(
          registry
              + " sends credentials to token service "
              + realm
              + " over plain HTTP; refusing (list its host as insecure to allow it)");
    }
    Set<String> scopes = new LinkedHashSet<>(List.of(scope.split(" ")));
    if (challenge.param("scope") != null) {
      scopes.addAll(List.of(challenge.param("scope").split(" ")));
    }
    List<String> query = new ArrayList<>();
    if (challenge.param("service") != null) {
      query.add("service=" + encode(challenge.param("service")));
    }
    for (String s : scopes) {
      if (!s.isEmpty()) {
        query.add("scope=" + encode(s));
      }
    }
    URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + String.join("&", query));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("User-Agent", "lamina");
    credentials.ifPresent(c -> request.header("Authorization", basic(c)));
    HttpResponse<InputStream> response =
        transport.exchange(
            request.build(), null, budget(registry, "a token from " + realmUri.getAuthority(), 0));
    int status = response.statusCode();
    if (status == 401 || status == 403) {
      throw new AuthException(
          registry
              + " token service "
              + realmUri.getAuthority()
              + " refused the credentials"
              + forUser(registry)
              + ": "
              + errorMessage(response));
    }
    if (status != 200) {
      throw failure(response, "token from " + realmUri.getAuthority() + " for " + registry);
    }
    byte[] body;
    try (InputStream in = response.body()) {
      body = readCapped(in, ERROR_BODY_CAP, "token response of " + realmUri.getAuthority());
    }
    JsonNode json = OciJson.parse(body, "token response of " + realmUri.getAuthority());
    String token = OciJson.text(json, "token");
    if (token == null || token.isEmpty()) {
      token = OciJson.text(json, "access_token");
    }
    if (token == null || token.isEmpty()) {
      throw new AuthException(
          registry + " token service " + realmUri.getAuthority() + " returned no token");
    }
    return token;
  }

  private static String basic(DockerConfig.Credentials c) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8));
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The registry's error message from a response body ({@code errors[].message}); closes it. */
  static String errorMessage(HttpResponse<InputStream> response) throws IOException {
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readNBytes(ERROR_BODY_CAP);
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    String status = "HTTP " + response.statusCode();
    if (text.isEmpty()) {
      return status;
    }
    try {
      JsonNode json = OciJson.MAPPER.readTree(body);
      JsonNode errors = json.get("errors");
      if (errors != null && errors.isArray() && errors.size() > 0) {
        List<String> parts = new ArrayList<>();
        for (JsonNode e : errors) {
          String code = OciJson.text(e, "code");
          String message = OciJson.text(e, "message");
          parts.add((code == null ? "" : code + ": ") + (message == null ? "" : message));
        }
        return status + " " + String.join("; ", parts);
      }
      for (String field : List.of("details", "message", "error")) {
        if (OciJson.text(json, field) != null) {
          return status + " " + OciJson.text(json, field);
        }
      }
    } catch (IOException | RuntimeException notJson) {
      // fall through to the raw text
    }
    String line = text.lines().findFirst().orElse("");
    return status + " " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
  }

  /** The exception for an unexpected status; closes the body. */
  static OciException failure(HttpResponse<InputStream> response, String what) throws IOException {
    int status = response.statusCode();
    String message = errorMessage(response);
    if (status == 404) {
      return new NotFoundException(what + " not found (" + message + ")");
    }
    if (status >= 500 || status == 429) {
      return new ServerErrorException(what + ": " + message);
    }
    return new OciException(what + ": " + message);
  }

  /** Reads a whole small document, failing if it is larger than {@code cap}. */
  static byte[] readCapped(InputStream in, long cap, String what) throws IOException {
    byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, cap + 1));
    if (bytes.length > cap) {
      throw new OciException(what + " is larger than the " + cap + " bytes allowed");
    }
    return bytes;
  }
}

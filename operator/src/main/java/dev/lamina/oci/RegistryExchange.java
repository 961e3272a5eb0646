package dev.lamina.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One request to a registry on the wire: redirects followed with the Authorization header kept to
 * its origin, the connect and idle timeouts, and a response body watched for idleness and the
 * request's overall deadline. No retries and no authentication: {@link RegistryHttp} adds those.
 */
final class RegistryExchange {
  private final Supplier<HttpClient> http;
  private final RegistryTimeouts timeouts;

  RegistryExchange(Supplier<HttpClient> http, RegistryTimeouts timeouts) {
    this.http = http;
    this.timeouts = timeouts;
  }

  private static final int MAX_REDIRECTS = 10;

  /**
   * Sends one request with {@code authorization} in place of any it has, following redirects here
   * rather than in the JDK: whether {@code java.net.http} forwards an Authorization header to
   * another origin differs between JDK 17 updates, and registries redirect blob downloads to
   * storage hosts that must never see the registry's credentials. The header goes only to the
   * request's own origin (scheme, host and port); a redirect from HTTPS to HTTP is refused. With no
   * {@code authorization}, the request's own header (if any) is the one kept to its origin.
   */
  HttpResponse<InputStream> exchange(
      HttpRequest request, String authorization, RegistryHttp.Budget budget) throws IOException {
    if (authorization == null) {
      authorization = request.headers().firstValue("Authorization").orElse(null);
    }
    URI origin = request.uri();
    HttpRequest current = request;
    for (int hop = 0; ; hop++) {
      boolean sameOrigin = sameOrigin(origin, current.uri());
      HttpRequest.Builder builder =
          HttpRequest.newBuilder(current, (n, v) -> !n.equalsIgnoreCase("Authorization"));
      if (authorization != null && sameOrigin) {
        builder.header("Authorization", authorization);
      }
      HttpResponse<InputStream> response = sendOnce(builder, budget);
      int status = response.statusCode();
      Optional<String> location = response.headers().firstValue("Location");
      if (!isRedirect(status) || location.isEmpty()) {
        return response;
      }
      response.body().close();
      if (hop >= MAX_REDIRECTS) {
        throw new OciException(
            request.method() + " " + request.uri() + ": more than " + MAX_REDIRECTS + " redirects");
      }
      URI next = current.uri().resolve(location.get());
      if ("https".equalsIgnoreCase(current.uri().getScheme())
          && !"https".equalsIgnoreCase(next.getScheme())) {
        throw new OciException(
            request.method()
                + " "
                + request.uri()
                + ": refusing a redirect from HTTPS to "
                + next.getScheme()
                + "://"
                + next.getAuthority());
      }
      current = redirected(current, status, next);
    }
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** 307 and 308 repeat the method and body; the others become a GET (a HEAD stays a HEAD). */
  private static HttpRequest redirected(HttpRequest from, int status, URI to) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(from, (n, v) -> !n.equalsIgnoreCase("Authorization")).uri(to);
    if ((status == 307 || status == 308) || from.method().equals("HEAD")) {
      return b.build();
    }
    return b.GET().build();
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && String.valueOf(a.getHost()).equalsIgnoreCase(String.valueOf(b.getHost()))
        && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  /**
   * Sends one request within {@code budget}. The JDK's request timeout covers only the wait for the
   * response headers: without a request body nothing at all arrives in that wait, so it is the idle
   * timeout; an upload may take its whole budget. The body is then watched for idleness and the
   * overall deadline.
   */
  private HttpResponse<InputStream> sendOnce(
      HttpRequest.Builder builder, RegistryHttp.Budget budget) throws IOException {
    Duration remaining = budget.remaining();
    HttpRequest probe = builder.build();
    String host = hostOf(budget, probe.uri());
    if (remaining.isNegative() || remaining.isZero()) {
      throw new RegistryTimeoutException(overall(host, budget));
    }
    boolean uploads = probe.bodyPublisher().map(p -> p.contentLength() != 0).orElse(false);
    Duration wait =
        uploads || remaining.compareTo(timeouts.idle()) < 0 ? remaining : timeouts.idle();
    HttpRequest request = builder.timeout(wait).build();
    HttpResponse<InputStream> response;
    try {
      response = http.get().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException e) {
      // A connection that could not be made is worth another attempt: not a timeout exception.
      throw new ConnectException(
          "cannot connect to " + host + " within " + RegistryTimeouts.describe(timeouts.connect()));
    } catch (HttpTimeoutException e) {
      throw new RegistryTimeoutException(
          wait.equals(remaining)
              ? overall(host, budget)
              : host
                  + " sent no answer for "
                  + RegistryTimeouts.describe(wait)
                  + " to "
                  + request.method()
                  + " of "
                  + budget.what(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(request.method() + " " + request.uri() + " interrupted");
    }
    InputStream body =
        new WatchedInputStream(
            response.body(),
            timeouts.idle().toNanos(),
            budget.deadline(),
            idle ->
                host
                    + " sent no data for "
                    + RegistryTimeouts.describe(Duration.ofNanos(idle))
                    + " while reading "
                    + budget.what(),
            overall(host, budget));
    return new WatchedResponse(response, body);
  }

  /** "registry R", and the host it redirected to when that is another. */
  private static String hostOf(RegistryHttp.Budget budget, URI uri) {
    String authority = uri.getAuthority();
    return "registry "
        + budget.registry()
        + (authority == null || authority.equalsIgnoreCase(budget.registry())
            ? ""
            : " (redirected to " + authority + ")");
  }

  private static String overall(String host, RegistryHttp.Budget budget) {
    return host
        + " did not finish "
        + budget.what()
        + " within "
        + RegistryTimeouts.describe(budget.total());
  }

  /** A response whose body is the watched stream. */
  private record WatchedResponse(HttpResponse<InputStream> response, InputStream body)
      implements HttpResponse<InputStream> {
    @Override
    public int statusCode() {
      return response.statusCode();
    }

    @Override
    public HttpRequest request() {
      return response.request();
    }

    @Override
    public Optional<HttpResponse<InputStream>> previousResponse() {
      return response.previousResponse();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return response.headers();
    }

    @Override
    public Optional<javax.net.ssl.SSLSession> sslSession() {
      return response.sslSession();
    }

    @Override
    public URI uri() {
      return response.uri();
    }

    @Override
    public HttpClient.Version version() {
      return response.version();
    }
  }
}

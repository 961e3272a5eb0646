package dev.lamina.oci;

import java.time.Duration;

/**
 * How long one registry request may take. A registry that is slow on purpose (sending a byte every
 * few seconds, or accepting a connection and never answering) must not hold a build forever, and
 * {@code java.net.http}'s own request timeout stops at the response headers: a body that trickles
 * is guarded by {@link RegistryHttp}'s watchdog instead.
 *
 * @param connect establishing the TCP (and TLS) connection
 * @param idle longest time without a single byte: waiting for the response headers of a request
 *     without a body, or between two reads of a response body
 * @param request overall deadline of one request with a small body (manifests, tokens, HEAD, upload
 *     sessions), from sending it to the last byte of its response
 * @param minBytesPerSecond the slowest transfer a blob may have: a blob's deadline is {@code
 *     request + size / minBytesPerSecond}, so large blobs get time in proportion; 0 gives blobs the
 *     plain {@code request} deadline
 */
public record RegistryTimeouts(
    Duration connect, Duration idle, Duration request, long minBytesPerSecond) {

  public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE = Duration.ofSeconds(60);
  public static final Duration DEFAULT_REQUEST = Duration.ofMinutes(5);

  /** 256 KiB/s: a 1 GiB blob may take 5 min + 68 min, beyond any build's active deadline. */
  public static final long DEFAULT_MIN_BYTES_PER_SECOND = 256 * 1024;

  public static final RegistryTimeouts DEFAULTS =
      new RegistryTimeouts(
          DEFAULT_CONNECT, DEFAULT_IDLE, DEFAULT_REQUEST, DEFAULT_MIN_BYTES_PER_SECOND);

  public RegistryTimeouts {
    requirePositive(connect, "connect timeout");
    requirePositive(idle, "idle timeout");
    requirePositive(request, "request timeout");
    if (minBytesPerSecond < 0) {
      throw new IllegalArgumentException("minimum transfer rate must not be negative");
    }
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, not " + d);
    }
  }

  /** The overall deadline of a request that moves {@code bytes} of blob content. */
  public Duration forBytes(long bytes) {
    if (minBytesPerSecond == 0 || bytes <= 0) {
      return request;
    }
    long seconds = bytes / minBytesPerSecond;
    long nanos = (long) ((double) (bytes % minBytesPerSecond) / minBytesPerSecond * 1e9);
    return request.plusSeconds(seconds).plusNanos(nanos);
  }

  /** A duration as a user reads it in a message: whole seconds when it is one, else ms. */
  static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}

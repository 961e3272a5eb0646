package dev.lamina.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * A response body that gives up when its server goes quiet: a read blocked for longer than the idle
 * timeout, or any read after the overall deadline, fails with a {@link RegistryTimeoutException}. A
 * blocked read cannot be interrupted, so a watchdog thread closes the underlying stream, which
 * cancels the HTTP exchange and drops its connection; the read then wakes and reports the timeout.
 *
 * <p>Idle time counts only while a read waits: a consumer that pauses between reads (spooling a
 * file to disk) is not the server's fault.
 */
final class WatchedInputStream extends FilterInputStream {
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "lamina-registry-watchdog");
            t.setDaemon(true);
            return t;
          });

  private final long idleNanos;
  private final long deadline;
  private final LongFunction<String> idleMessage;
  private final String deadlineMessage;
  private final ScheduledFuture<?> check;
  // System.nanoTime() when the read in progress started; 0 while no read waits.
  private volatile long waitingSince;
  private volatile String expired;
  private volatile boolean closed;

  /**
   * @param deadline overall deadline, in {@link System#nanoTime()} terms
   * @param idleMessage the failure message, given the idle timeout's length in nanoseconds
   * @param deadlineMessage the failure message when the overall deadline passes
   */
  WatchedInputStream(
      InputStream in,
      long idleNanos,
      long deadline,
      LongFunction<String> idleMessage,
      String deadlineMessage) {
    super(in);
    this.idleNanos = idleNanos;
    this.deadline = deadline;
    this.idleMessage = idleMessage;
    this.deadlineMessage = deadlineMessage;
    long period = Math.max(10_000_000L, Math.min(1_000_000_000L, idleNanos / 4));
    this.check = WATCHDOG.scheduleAtFixedRate(this::inspect, period, period, TimeUnit.NANOSECONDS);
  }

  private void inspect() {
    if (closed || expired != null) {
      check.cancel(false);
      return;
    }
    long now = System.nanoTime();
    long since = waitingSince;
    String reason = null;
    if (now - deadline >= 0) {
      reason = deadlineMessage;
    } else if (since != 0 && now - since >= idleNanos) {
      reason = idleMessage.apply(idleNanos);
    }
    if (reason != null) {
      expired = reason;
      check.cancel(false);
      try {
        in.close();
      } catch (IOException | RuntimeException e) {
        // The stream is being abandoned; the reader sees the timeout either way.
      }
    }
  }

  private void before() throws IOException {
    if (expired == null && System.nanoTime() - deadline >= 0) {
      expired = deadlineMessage;
    }
    if (expired != null) {
      throw new RegistryTimeoutException(expired);
    }
    waitingSince = System.nanoTime() | 1; // never 0, which means "not waiting"
  }

  private IOException after(IOException e) {
    waitingSince = 0;
    return expired != null ? new RegistryTimeoutException(expired, e) : e;
  }

  private void afterSuccess() throws IOException {
    waitingSince = 0;
    if (expired != null) {
      throw new RegistryTimeoutException(expired);
    }
  }

  @Override
  public int read() throws IOException {
    before();
    int b;
    try {
      b = in.read();
    } catch (IOException e) {
      throw after(e);
    }
    afterSuccess();
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    before();
    int n;
    try {
      n = in.read(b, off, len);
    } catch (IOException e) {
      throw after(e);
    }
    afterSuccess();
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    before();
    long skipped;
    try {
      skipped = in.skip(n);
    } catch (IOException e) {
      throw after(e);
    }
    afterSuccess();
    return skipped;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    check.cancel(false);
    super.close();
  }
}

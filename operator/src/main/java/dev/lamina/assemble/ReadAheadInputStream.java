package dev.lamina.assemble;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads another stream on a thread of its own, a bounded number of chunks ahead of the reader, so
 * that decompressing and verifying a blob's digest (the source's work) runs on one core while the
 * tar headers are parsed and file contents spooled (the reader's work) on another. Without it the
 * largest blob of a build is read on one core while the other idles.
 *
 * <p>At most {@code depth + 2} chunks exist at once, reused as they are consumed. An exception of
 * the source is thrown by the reader's next read, as the same object, so callers see the types they
 * would see without the thread (EOFException, ZipException, a digest mismatch). Closing stops the
 * thread and closes the source.
 */
final class ReadAheadInputStream extends InputStream {
  static final int CHUNK = 256 << 10;
  static final int DEPTH = 8;

  /** What the thread hands over: {@code length} bytes of {@code data}, or the end, or a failure. */
  private record Chunk(byte[] data, int length, Throwable failure) {
    static final Chunk END = new Chunk(null, -1, null);
  }

  private final InputStream source;
  private final BlockingQueue<Chunk> full;
  private final BlockingQueue<byte[]> free;
  private final Thread thread;
  private Chunk current;
  private int pos;
  private boolean ended;
  private boolean closed;

  ReadAheadInputStream(InputStream source) {
    this(source, CHUNK, DEPTH);
  }

  ReadAheadInputStream(InputStream source, int chunk, int depth) {
    this.source = source;
    this.full = new ArrayBlockingQueue<>(depth);
    this.free = new ArrayBlockingQueue<>(depth + 2);
    this.thread = new Thread(() -> fill(chunk), "lamina-read-ahead");
    thread.setDaemon(true);
    thread.start();
  }

  private void fill(int chunk) {
    try {
      while (true) {
        byte[] buf = free.poll();
        if (buf == null) {
          buf = new byte[chunk];
        }
        int n = source.readNBytes(buf, 0, buf.length);
        if (n > 0) {
          full.put(new Chunk(buf, n, null));
        }
        if (n < buf.length) {
          full.put(Chunk.END);
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed by the reader: nobody waits for more
    } catch (Throwable t) {
      try {
        full.put(new Chunk(null, -1, t));
      } catch (InterruptedException e) {
        // closed by the reader
      }
    }
  }

  /** The chunk being read, taking the next one when it is used up; null at the end. */
  private Chunk current() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    while (!ended && (current == null || pos == current.length())) {
      if (current != null) {
        free.offer(current.data());
        current = null;
      }
      Chunk next;
      try {
        next = full.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading ahead");
      }
      if (next.failure() != null) {
        ended = true;
        throw rethrow(next.failure());
      }
      if (next == Chunk.END) {
        ended = true;
      } else {
        current = next;
        pos = 0;
      }
    }
    return ended ? null : current;
  }

  private static IOException rethrow(Throwable t) {
    if (t instanceof IOException io) {
      return io;
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IOException(t);
  }

  @Override
  public int read() throws IOException {
    Chunk c = current();
    return c == null ? -1 : c.data()[pos++] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    Chunk c = current();
    if (c == null) {
      return -1;
    }
    int n = Math.min(len, c.length() - pos);
    System.arraycopy(c.data(), pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long done = 0;
    while (done < n) {
      Chunk c = current();
      if (c == null) {
        break;
      }
      int k = (int) Math.min(n - done, c.length() - pos);
      pos += k;
      done += k;
    }
    return done;
  }

  /** The reading thread, for tests. */
  Thread thread() {
    return thread;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    thread.interrupt();
    try {
      // The source may be blocked in a read that an interrupt doesn't end (a socket); closing it
      // below ends that read, so the wait is short.
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      source.close();
    }
  }
}

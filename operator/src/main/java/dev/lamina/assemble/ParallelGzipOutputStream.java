package dev.lamina.assemble;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip stream compressed on several threads, as pigz does: the input is cut into fixed blocks,
 * each deflated on its own with the previous 32 KiB as preset dictionary and ended by a sync flush,
 * and the pieces are concatenated in order. Each block's bytes depend only on the input, so the
 * output is the same for any number of threads. The header is fixed (no name, mtime 0, OS Unix).
 * {@link #close()} finishes the gzip stream but leaves {@code out} open.
 */
final class ParallelGzipOutputStream extends OutputStream {
  static final int BLOCK = 128 * 1024;
  private static final int DICTIONARY = 32 * 1024;
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final OutputStream out;
  private final ExecutorService pool;
  private final BlockingQueue<Deflater> deflaters;
  private final BlockingQueue<byte[]> freeBlocks;
  private final ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
  private final int maxPending;
  private final CRC32 crc = new CRC32();
  private byte[] block;
  private int fill;
  private byte[] dictionary;
  private long total;
  private boolean closed;

  ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
    this.out = out;
    int n = Math.max(1, threads);
    this.pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r, "lamina-deflate");
              t.setDaemon(true);
              return t;
            });
    // A deep queue keeps workers busy when one of them is descheduled on a shared machine.
    this.maxPending = 8 * n;
    this.deflaters = new ArrayBlockingQueue<>(n);
    for (int i = 0; i < n; i++) {
      deflaters.add(new Deflater(level, true));
    }
    this.freeBlocks = new ArrayBlockingQueue<>(maxPending + 2);
    this.block = new byte[BLOCK];
    out.write(HEADER);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = Math.min(len, BLOCK - fill);
      System.arraycopy(b, off, block, fill, n);
      fill += n;
      off += n;
      len -= n;
      if (fill == BLOCK) {
        submit(false);
      }
    }
  }

  /** Writes the last block and the trailer; does not close the underlying stream. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      submit(true);
      while (!pending.isEmpty()) {
        writeOldest();
      }
      int c = (int) crc.getValue();
      int size = (int) total;
      out.write(
          new byte[] {
            (byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24),
            (byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24)
          });
      out.flush();
    } finally {
      pool.shutdownNow();
      for (Deflater d : deflaters) {
        d.end();
      }
    }
  }

  private void submit(boolean last) throws IOException {
    byte[] data = block;
    int length = fill;
    byte[] dict = dictionary;
    crc.update(data, 0, length);
    total += length;
    if (!last) {
      dictionary = Arrays.copyOfRange(data, length - DICTIONARY, length);
    }
    pending.add(pool.submit(() -> deflate(data, length, dict, last)));
    byte[] free = freeBlocks.poll();
    block = free != null ? free : new byte[BLOCK];
    fill = 0;
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    try {
      out.write(pending.poll().get());
    } catch (ExecutionException e) {
      throw new IOException("deflate failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    }
  }

  private byte[] deflate(byte[] data, int length, byte[] dict, boolean last)
      throws InterruptedException {
    Deflater d = deflaters.take();
    try {
      d.reset();
      if (dict != null) {
        d.setDictionary(dict);
      }
      d.setInput(data, 0, length);
      byte[] buf = new byte[length + (length >> 3) + 1024];
      int n = 0;
      if (last) {
        d.finish();
        while (!d.finished()) {
          if (n == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
          }
          n += d.deflate(buf, n, buf.length - n);
        }
      } else {
        // A sync flush ends the block on a byte boundary so the pieces concatenate.
        while (true) {
          int k = d.deflate(buf, n, buf.length - n, Deflater.SYNC_FLUSH);
          n += k;
          if (n < buf.length) {
            break;
          }
          buf = Arrays.copyOf(buf, buf.length * 2);
        }
      }
      freeBlocks.offer(data);
      return Arrays.copyOf(buf, n);
    } finally {
      deflaters.add(d);
    }
  }
}

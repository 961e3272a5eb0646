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
 *
 * <p>A block whose bytes look uniformly random (compressed firmware and modules, a compressed
 * kernel, keys) is written as stored deflate blocks by this class itself: zlib can't shrink such a
 * block, and it spends as long failing (about 45 MB/s at any level) as it spends compressing text.
 * Whether a block is stored depends only on its bytes.
 */
final class ParallelGzipOutputStream extends OutputStream {
  static final int BLOCK = 128 * 1024;
  private static final int DICTIONARY = 32 * 1024;
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

  private final OutputStream out;
  private final ExecutorService pool;
  private final BlockingQueue<Deflater> deflaters;

  /**
   * Input blocks and output buffers are reused, so the heap does not grow with the archive: a 150
   * MB initrd would otherwise leave twice its size in short-lived arrays behind.
   */
  private final BlockingQueue<byte[]> freeBlocks;

  private final BlockingQueue<byte[]> freeOutputs;
  private final ArrayDeque<Future<Piece>> pending = new ArrayDeque<>();
  private final int maxPending;
  private final CRC32 crc = new CRC32();
  private byte[] block;
  private int fill;

  /** The last full block submitted: the next block's dictionary is its tail. */
  private byte[] previous;

  /** The input of the last piece written; free once the piece after it is written too. */
  private byte[] written;

  private long total;
  private boolean closed;

  /** A block's compressed bytes in a pooled buffer, and the input block they came from. */
  private record Piece(byte[] buffer, int length, byte[] input) {}

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
    this.freeBlocks = new ArrayBlockingQueue<>(maxPending + 4);
    this.freeOutputs = new ArrayBlockingQueue<>(maxPending + 4);
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
    byte[] dict = previous;
    crc.update(data, 0, length);
    total += length;
    previous = data;
    pending.add(pool.submit(() -> deflate(data, length, dict, last)));
    byte[] free = freeBlocks.poll();
    block = free != null ? free : new byte[BLOCK];
    fill = 0;
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    Piece piece;
    try {
      piece = pending.poll().get();
    } catch (ExecutionException e) {
      throw new IOException("deflate failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    }
    out.write(piece.buffer(), 0, piece.length());
    freeOutputs.offer(piece.buffer());
    // Pieces are written in order, so the block before this one is no longer anyone's dictionary.
    if (written != null) {
      freeBlocks.offer(written);
    }
    written = piece.input();
  }

  private Piece deflate(byte[] data, int length, byte[] dict, boolean last)
      throws InterruptedException {
    byte[] buf = freeOutputs.poll();
    if (buf == null) {
      buf = new byte[BLOCK + (BLOCK >> 3) + 1024];
    }
    if (incompressible(data, length)) {
      return new Piece(buf, stored(data, length, last, buf), data);
    }
    Deflater d = deflaters.take();
    try {
      d.reset();
      if (dict != null) {
        d.setDictionary(dict, BLOCK - DICTIONARY, DICTIONARY);
      }
      d.setInput(data, 0, length);
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
      return new Piece(buf, n, data);
    } finally {
      deflaters.add(d);
    }
  }

  /** Below this many bytes a histogram says too little to be worth a guess. */
  private static final int MIN_STORED = 4096;

  /**
   * Order-0 entropy of at least 7.99 bits per byte: then a Huffman code saves under 0.2%, less than
   * its own table costs, and matches are as rare as in random data. {@link StrictMath} keeps the
   * decision the same on every JVM and processor.
   */
  static boolean incompressible(byte[] data, int length) {
    if (length < MIN_STORED) {
      return false;
    }
    int[] counts = new int[256];
    for (int i = 0; i < length; i++) {
      counts[data[i] & 0xFF]++;
    }
    double bits = 0;
    for (int c : counts) {
      if (c > 0) {
        bits -= c * StrictMath.log((double) c / length);
      }
    }
    return bits / StrictMath.log(2) >= 7.99 * length;
  }

  /**
   * Writes stored deflate blocks (RFC 1951 3.2.4) of at most 65,535 bytes each into {@code out}
   * (which has room for the input and 5 bytes per block) and returns their length. The previous
   * piece ended on a byte boundary, so each block's three header bits and padding fill one byte.
   */
  static int stored(byte[] data, int length, boolean last, byte[] out) {
    int blocks = Math.max(1, (length + 65_534) / 65_535);
    int o = 0;
    for (int b = 0, off = 0; b < blocks; b++) {
      int n = Math.min(65_535, length - off);
      out[o++] = (byte) (last && b == blocks - 1 ? 1 : 0);
      out[o++] = (byte) n;
      out[o++] = (byte) (n >>> 8);
      out[o++] = (byte) ~n;
      out[o++] = (byte) (~n >>> 8);
      System.arraycopy(data, off, out, o, n);
      o += n;
      off += n;
    }
    return o;
  }
}

package dev.lamina.assemble;

import dev.lamina.oci.Streams;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only file holding the contents of regular files, so that the heap holds only their
 * offsets. One per blob: blobs are read concurrently, each into its own spool.
 */
final class Spool implements Closeable {
  /** A run of bytes in a spool. */
  record Content(Spool spool, long offset, long size) {
    void copyTo(OutputStream out, byte[] buffer) throws IOException {
      spool.copy(offset, size, out, buffer);
    }

    InputStream open() {
      return spool.open(offset, size);
    }
  }

  private final FileChannel channel;
  private final OutputStream out;
  private final Budget.Meter meter;
  private long size;

  /** A spool whose appends are charged to {@code meter}, so a bomb stops before the disk fills. */
  Spool(Path file, Budget.Meter meter) throws IOException {
    this.meter = meter;
    channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.DELETE_ON_CLOSE);
    out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 18);
  }

  Content append(InputStream in, long length, byte[] buffer) throws IOException {
    long start = size;
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new AssemblyException("stream ended " + left + " bytes early");
      }
      meter.bytes(n);
      out.write(buffer, 0, n);
      left -= n;
    }
    size += length;
    return new Content(this, start, length);
  }

  Content append(byte[] data) throws IOException {
    meter.bytes(data.length);
    out.write(data);
    size += data.length;
    return new Content(this, size - data.length, data.length);
  }

  Budget.Meter meter() {
    return meter;
  }

  /** Makes everything appended readable. */
  void seal() throws IOException {
    out.flush();
  }

  private void copy(long offset, long length, OutputStream to, byte[] buffer) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(buffer);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      bb.clear().limit((int) Math.min(buffer.length, end - pos));
      int n = channel.read(bb, pos);
      if (n < 0) {
        throw new IOException("spool file ended early");
      }
      to.write(buffer, 0, n);
      pos += n;
    }
  }

  private InputStream open(long offset, long length) {
    return new InputStream() {
      private long pos = offset;
      private final long end = offset + length;

      @Override
      public int read() throws IOException {
        return Streams.readByte(this);
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= end) {
          return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
        if (n < 0) {
          throw new IOException("spool file ended early");
        }
        pos += n;
        return n;
      }
    };
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

package dev.lamina.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Bytes placed somewhere in an image, read on demand: generated structures are small arrays or
 * computed, file contents are read from disk when the writer reaches them, so an image of any size
 * is written with bounded memory.
 */
public interface Content extends Closeable {
  long size();

  /** Copies {@code len} bytes starting at {@code pos} (within the content) into {@code buf}. */
  void read(long pos, byte[] buf, int off, int len) throws IOException;

  @Override
  default void close() throws IOException {}

  static Content of(byte[] bytes) {
    byte[] copy = bytes.clone();
    return new Content() {
      @Override
      public long size() {
        return copy.length;
      }

      @Override
      public void read(long pos, byte[] buf, int off, int len) {
        System.arraycopy(copy, (int) pos, buf, off, len);
      }
    };
  }

  /** A file's bytes; the file is opened at the first read and stays open until closed. */
  static Content file(Path file, long size) {
    return new Content() {
      private FileChannel channel;

      @Override
      public long size() {
        return size;
      }

      @Override
      public void read(long pos, byte[] buf, int off, int len) throws IOException {
        if (channel == null) {
          channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        ByteBuffer target = ByteBuffer.wrap(buf, off, len);
        long at = pos;
        while (target.hasRemaining()) {
          int n = channel.read(target, at);
          if (n < 0) {
            throw new IOException(file + " is shorter than " + size + " bytes");
          }
          at += n;
        }
      }

      @Override
      public void close() throws IOException {
        if (channel != null) {
          channel.close();
          channel = null;
        }
      }
    };
  }
}

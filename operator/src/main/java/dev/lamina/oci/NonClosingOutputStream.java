package dev.lamina.oci;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes writes through, and on close only flushes: a tar or compressor can finish its stream
 * without closing the caller's.
 */
public final class NonClosingOutputStream extends FilterOutputStream {
  public NonClosingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}

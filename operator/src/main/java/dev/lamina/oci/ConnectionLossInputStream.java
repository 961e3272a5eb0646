package dev.lamina.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A registry response body whose read failures are the registry's: a connection lost mid-blob is an
 * {@link OciException} naming the registry, so a build reports RegistryError rather than the
 * InvalidLayer that a reader of the broken stream would otherwise conclude.
 */
final class ConnectionLossInputStream extends FilterInputStream {
  private final String registry;
  private final String what;
  private final long size;
  private long count;

  ConnectionLossInputStream(InputStream in, String registry, String what, long size) {
    super(in);
    this.registry = registry;
    this.what = what;
    this.size = size;
  }

  @Override
  public int read() throws IOException {
    return Streams.readByte(this);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    } catch (OciException e) {
      throw e;
    } catch (IOException e) {
      throw new OciException(
          "registry "
              + registry
              + " stopped sending "
              + what
              + " after "
              + count
              + " of "
              + size
              + " bytes ("
              + e.getMessage()
              + ")",
          e);
    }
  }
}

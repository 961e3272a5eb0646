package dev.lamina.oci;

import java.io.IOException;
import java.io.InputStream;

/** What the Lamina streams share. */
public final class Streams {
  private Streams() {}

  /** {@link InputStream#read()} through the stream's own bulk read, where all its checks are. */
  public static int readByte(InputStream in) throws IOException {
    byte[] one = new byte[1];
    return in.read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }
}

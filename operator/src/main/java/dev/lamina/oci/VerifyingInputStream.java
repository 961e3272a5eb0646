package dev.lamina.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes content through while checking it against an expected digest and size. The check runs when
 * the last expected byte is read, before those bytes reach the reader, so a reader that stops at
 * exactly {@code size} bytes is covered too; extra or missing bytes fail as well.
 */
final class VerifyingInputStream extends FilterInputStream {
  private final String digest;
  private final long size;
  private final String source;
  private final MessageDigest md = Digests.newSha256();
  private long count;
  private boolean verified;

  VerifyingInputStream(InputStream in, String digest, long size, String source) {
    super(in);
    this.digest = Digests.require(digest);
    this.size = size;
    this.source = source;
  }

  @Override
  public int read() throws IOException {
    return Streams.readByte(this);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = in.read(b, off, len);
    if (n == -1) {
      if (!verified) {
        verify();
      }
      return -1;
    }
    if (verified || count + n > size) {
      throw new DigestMismatchException(
          source + ": " + digest + " has more than the expected " + size + " bytes");
    }
    md.update(b, off, n);
    count += n;
    if (count == size) {
      verify();
    }
    return n;
  }

  private void verify() throws DigestMismatchException {
    if (count != size) {
      throw new DigestMismatchException(
          source + ": " + digest + " ended after " + count + " of " + size + " bytes");
    }
    String actual = Digests.format(md.digest());
    if (!actual.equals(digest)) {
      throw new DigestMismatchException(
          source + ": content has digest " + actual + ", expected " + digest);
    }
    verified = true;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must still be hashed.
    byte[] buf = new byte[(int) Math.min(n, 8192)];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r == -1) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public int available() throws IOException {
    return verified ? 0 : in.available();
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }
}

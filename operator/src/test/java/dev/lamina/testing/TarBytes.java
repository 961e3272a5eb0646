package dev.lamina.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes tar headers byte by byte, including shapes no archiver writes: PAX records of any key and
 * value (NUL bytes, negative sizes, huge numbers), global headers, chains of extension headers.
 * commons-compress (see {@link TestLayers}) refuses most of these, which is why this exists.
 */
public final class TarBytes {
  private final OutputStream out;

  /** A tar written to {@code out}, which may be a compressing stream for big archives. */
  public TarBytes(OutputStream out) {
    this.out = out;
  }

  /** Writes one header block: ustar magic, the given type and declared size, octal fields. */
  public TarBytes header(String name, char type, long size) {
    return header(name.getBytes(UTF_8), type, size, "");
  }

  public TarBytes header(byte[] name, char type, long size, String link) {
    byte[] h = new byte[512];
    System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
    octal(h, 100, 8, type == '5' ? 0755 : 0644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, Math.max(0, size));
    octal(h, 136, 12, 0);
    h[156] = (byte) type;
    byte[] l = link.getBytes(UTF_8);
    System.arraycopy(l, 0, h, 157, Math.min(100, l.length));
    System.arraycopy("ustar\0".getBytes(ISO_8859_1), 0, h, 257, 6);
    h[263] = '0';
    h[264] = '0';
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xFF;
    }
    octal(h, 148, 7, sum);
    h[155] = ' ';
    return raw(h);
  }

  /** A regular file (or other entry type) with its data, padded to a block. */
  public TarBytes entry(String name, char type, byte[] data) {
    header(name, type, data.length);
    raw(data);
    return pad(data.length);
  }

  public TarBytes file(String name, String contents) {
    return entry(name, '0', contents.getBytes(UTF_8));
  }

  public TarBytes symlink(String name, String target) {
    return header(name.getBytes(UTF_8), '2', 0, target);
  }

  /**
   * An extended header ({@code 'x'} for the next entry, {@code 'g'} global) holding {@code
   * records}: each {@code key=value} framed as {@code "<len> key=value\n"}, len counting itself.
   */
  public TarBytes pax(char type, byte[]... records) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] r : records) {
      body.writeBytes(paxRecord(r));
    }
    byte[] data = body.toByteArray();
    header("PaxHeaders/x", type, data.length);
    raw(data);
    return pad(data.length);
  }

  /** {@code key=value} with its length prefix; the value may hold any bytes. */
  public static byte[] paxRecord(byte[] keyValue) {
    int len = keyValue.length + 2;
    int digits = Integer.toString(len).length();
    len += digits;
    if (Integer.toString(len).length() != digits) {
      len++;
    }
    ByteArrayOutputStream r = new ByteArrayOutputStream();
    r.writeBytes((len + " ").getBytes(ISO_8859_1));
    r.writeBytes(keyValue);
    r.write('\n');
    return r.toByteArray();
  }

  public static byte[] kv(String key, String value) {
    return (key + "=" + value).getBytes(UTF_8);
  }

  /** Any bytes, as they are. */
  public TarBytes raw(byte[] bytes) {
    try {
      out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Zeros up to the next 512-byte block after {@code size} bytes of data. */
  public TarBytes pad(long size) {
    return raw(new byte[(int) ((512 - size % 512) % 512)]);
  }

  /** The end-of-archive marker: two zero blocks. */
  public TarBytes end() {
    return raw(new byte[1024]);
  }

  /** A whole archive in memory. */
  public static byte[] of(java.util.function.Consumer<TarBytes> body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TarBytes t = new TarBytes(bytes);
    body.accept(t);
    t.end();
    return bytes.toByteArray();
  }

  private static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
    byte[] b = padded.getBytes(ISO_8859_1);
    System.arraycopy(b, Math.max(0, b.length - (len - 1)), h, off, Math.min(len - 1, b.length));
    h[off + len - 1] = 0;
  }
}

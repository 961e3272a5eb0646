package dev.lamina.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * Writes tar headers byte by byte, for hostile archives that a well-behaved writer refuses to make:
 * chains of PAX headers, NUL bytes in PAX paths, odd PAX mtimes, huge global headers. Names longer
 * than the 100-byte ustar field are cut; give them through {@link #pax} or {@link #gnuLong}.
 */
public final class RawTar {
  private final OutputStream out;

  private RawTar(OutputStream out) {
    this.out = out;
  }

  /** A tar written to memory; {@link #bytes()} ends it. */
  public static RawTar inMemory() {
    return new RawTar(new ByteArrayOutputStream());
  }

  /** A tar streamed to {@code out} (e.g. a gzip stream of a layer too big to hold in memory). */
  public static RawTar to(OutputStream out) {
    return new RawTar(out);
  }

  /** A regular file whose {@code size} bytes of contents are zeros, written as they stream. */
  public RawTar zeros(String name, long size) {
    header(name, '0', size, "");
    byte[] zeros = new byte[1 << 16];
    long left = size;
    try {
      while (left > 0) {
        int n = (int) Math.min(zeros.length, left);
        out.write(zeros, 0, n);
        left -= n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pad(size);
  }

  public RawTar file(String name, String contents) {
    byte[] data = contents.getBytes(UTF_8);
    header(name, '0', data.length, "");
    write(data);
    return pad(data.length);
  }

  public RawTar dir(String name) {
    return header(name, '5', 0, "");
  }

  public RawTar symlink(String name, String target) {
    return header(name, '2', 0, target);
  }

  /** A PAX extended header ('x' for the next entry, 'g' for all that follow) of key=value pairs. */
  public RawTar pax(char type, String... keyValues) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i = 0; i < keyValues.length; i += 2) {
      byte[] rec = (" " + keyValues[i] + "=" + keyValues[i + 1] + "\n").getBytes(ISO_8859_1);
      int len = rec.length;
      int digits = Integer.toString(len).length();
      while (Integer.toString(len + digits).length() != digits) {
        digits++;
      }
      body.writeBytes(Integer.toString(len + digits).getBytes(ISO_8859_1));
      body.writeBytes(rec);
    }
    return extension(type, body.toByteArray());
  }

  /** An extension header ('x', 'g', 'L', 'K') with {@code body} as its data. */
  public RawTar extension(char type, byte[] body) {
    header("././@PaxHeader", type, body.length, "");
    write(body);
    return pad(body.length);
  }

  /** A GNU long name ('L') or long link target ('K'). */
  public RawTar gnuLong(char type, String value) {
    byte[] v = (value + "\0").getBytes(ISO_8859_1);
    header("././@LongLink", type, v.length, "");
    write(v);
    return pad(v.length);
  }

  /** One ustar header block; the data, if any, is the caller's to write. */
  public RawTar header(String name, char type, long size, String link) {
    byte[] b = new byte[512];
    put(b, 0, 100, name);
    put(b, 100, 8, octal(0644, 7));
    put(b, 108, 8, octal(0, 7));
    put(b, 116, 8, octal(0, 7));
    put(b, 124, 12, octal(size, 11));
    put(b, 136, 12, octal(0, 11));
    b[156] = (byte) type;
    put(b, 157, 100, link);
    put(b, 257, 6, "ustar");
    put(b, 263, 2, "00");
    for (int i = 148; i < 156; i++) {
      b[i] = ' ';
    }
    long sum = 0;
    for (byte x : b) {
      sum += x & 0xFF;
    }
    put(b, 148, 8, octal(sum, 6) + "\0 ");
    write(b);
    return this;
  }

  /** The archive with its end-of-archive marker. */
  public byte[] bytes() {
    end();
    return ((ByteArrayOutputStream) out).toByteArray();
  }

  /** Writes the end-of-archive marker; the stream stays open. */
  public void end() {
    write(new byte[1024]);
  }

  /** {@link #bytes()}, gzipped. */
  public byte[] gzip() {
    return TestLayers.gzip(bytes());
  }

  /** A gzip stream to write a big tar into while compressing it. */
  public static GZIPOutputStream gzipTo(OutputStream out) {
    try {
      return new GZIPOutputStream(out, 1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private RawTar pad(long size) {
    write(new byte[(int) ((512 - size % 512) % 512)]);
    return this;
  }

  private void write(byte[] data) {
    try {
      out.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String octal(long v, int digits) {
    String s = Long.toOctalString(v);
    return "0".repeat(Math.max(0, digits - s.length())) + s;
  }

  private static void put(byte[] b, int off, int len, String s) {
    byte[] v = s.getBytes(ISO_8859_1);
    System.arraycopy(v, 0, b, off, Math.min(len, v.length));
  }
}

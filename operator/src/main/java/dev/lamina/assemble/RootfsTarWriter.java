package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Writes a union as a POSIX (ustar + PAX) tar: directories end in '/', later names of a hard-linked
 * file are link entries to the first, xattrs go into PAX SCHILY.xattr records, and values that do
 * not fit ustar (long names, big ids, sizes, times) into PAX records. Owner names are left empty;
 * extended header names are fixed so that the bytes depend only on the union.
 */
public final class RootfsTarWriter {
  private static final int RECORD = 10240;

  /** Writes the tar to {@code out}, which is left open (and flushed). */
  public void write(LayerUnion union, OutputStream out) throws IOException {
    Map<Inode, String> first = new IdentityHashMap<>();
    CountingStream o = new CountingStream(out);
    byte[] buffer = new byte[1 << 16];
    for (LayerUnion.Entry e : union.entries()) {
      Inode in = e.inode();
      String firstName = in.type == TarReader.DIR ? null : first.putIfAbsent(in, e.path());
      char type = firstName != null ? TarReader.HARDLINK : in.type;
      String name = in.type == TarReader.DIR ? e.path() + "/" : e.path();
      String link =
          firstName != null ? firstName : in.type == TarReader.SYMLINK ? in.linkTarget : "";
      long size = type == TarReader.REGULAR ? in.size() : 0;
      entry(o, name, type, in, link, size);
      if (size > 0) {
        in.content.copyTo(o, buffer);
        o.write(new byte[pad(size)]);
      }
    }
    o.write(new byte[1024]);
    o.write(new byte[(int) ((RECORD - o.count % RECORD) % RECORD)]);
    o.flush();
  }

  private static void entry(
      OutputStream o, String name, char type, Inode in, String link, long size) throws IOException {
    byte[] nameBytes = name.getBytes(ISO_8859_1);
    byte[] linkBytes = link.getBytes(ISO_8859_1);
    ByteArrayOutputStream pax = new ByteArrayOutputStream();
    if (nameBytes.length > 100) {
      record(pax, "path", nameBytes);
    }
    if (linkBytes.length > 100) {
      record(pax, "linkpath", linkBytes);
    }
    if (in.uid > 07777777 || in.uid < 0) {
      record(pax, "uid", Long.toString(in.uid).getBytes(ISO_8859_1));
    }
    if (in.gid > 07777777 || in.gid < 0) {
      record(pax, "gid", Long.toString(in.gid).getBytes(ISO_8859_1));
    }
    if (size > 077777777777L) {
      record(pax, "size", Long.toString(size).getBytes(ISO_8859_1));
    }
    if (in.mtime > 077777777777L || in.mtime < 0) {
      record(pax, "mtime", Long.toString(in.mtime).getBytes(ISO_8859_1));
    }
    for (Map.Entry<String, byte[]> x : in.xattrs.entrySet()) {
      record(pax, "SCHILY.xattr." + x.getKey(), x.getValue());
    }
    if (pax.size() > 0) {
      String base = name.substring(name.lastIndexOf('/', name.length() - 2) + 1);
      byte[] paxName = ("PaxHeaders/" + base).getBytes(ISO_8859_1);
      byte[] h = header(paxName, 'x', 0644, 0, 0, pax.size(), 0, new byte[0], 0, 0);
      o.write(h);
      pax.writeTo(o);
      o.write(new byte[pad(pax.size())]);
    }
    o.write(
        header(
            nameBytes,
            type,
            in.mode & 07777,
            in.uid,
            in.gid,
            size,
            in.mtime,
            linkBytes,
            in.devMajor,
            in.devMinor));
  }

  private static byte[] header(
      byte[] name,
      char type,
      int mode,
      long uid,
      long gid,
      long size,
      long mtime,
      byte[] link,
      int devMajor,
      int devMinor) {
    byte[] h = new byte[512];
    System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, clamp(uid, 07777777));
    octal(h, 116, 8, clamp(gid, 07777777));
    octal(h, 124, 12, clamp(size, 077777777777L));
    octal(h, 136, 12, clamp(mtime, 077777777777L));
    h[156] = (byte) type;
    System.arraycopy(link, 0, h, 157, Math.min(100, link.length));
    System.arraycopy("ustar\00000".getBytes(ISO_8859_1), 0, h, 257, 8);
    if (type == TarReader.CHAR || type == TarReader.BLOCK) {
      octal(h, 329, 8, clamp(devMajor, 07777777));
      octal(h, 337, 8, clamp(devMinor, 07777777));
    }
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xFF;
    }
    octal(h, 148, 7, sum);
    return h;
  }

  private static long clamp(long v, long max) {
    return Math.max(0, Math.min(max, v));
  }

  /** Zero-padded octal digits filling {@code len - 1} bytes, then a NUL. */
  private static void octal(byte[] h, int off, int len, long v) {
    for (int i = off + len - 2; i >= off; i--) {
      h[i] = (byte) ('0' + (v & 7));
      v >>>= 3;
    }
    h[off + len - 1] = 0;
  }

  /** A PAX record "LEN key=value\n", where LEN counts its own digits. */
  private static void record(ByteArrayOutputStream pax, String key, byte[] value) {
    int rest = 1 + key.length() + 1 + value.length + 1;
    int len = rest + 1;
    while (len != rest + Integer.toString(len).length()) {
      len = rest + Integer.toString(len).length();
    }
    pax.writeBytes((len + " " + key + "=").getBytes(ISO_8859_1));
    pax.writeBytes(value);
    pax.write('\n');
  }

  private static int pad(long n) {
    return (int) ((512 - n % 512) % 512);
  }

  private static final class CountingStream extends BufferedOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out, 1 << 16);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      super.write(b, off, len);
      count += len;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      super.write(b);
      count++;
    }
  }
}

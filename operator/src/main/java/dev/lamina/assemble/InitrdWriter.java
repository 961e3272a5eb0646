package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.lamina.api.Compression;
import java.io.IOException;
import java.io.OutputStream;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a union as a cpio newc archive (the Linux initramfs format), compressed. Inode numbers are
 * 1, 2, 3... in path order; hard-linked files share one, with the data on the first name and size 0
 * on the others (the kernel unpacker links them). Every device number of the archive itself is 0.
 * newc has no xattrs, so they are not written.
 */
public final class InitrdWriter {
  static final long NEWC_MAX = 0xFFFFFFFFL;

  /** The gzip level of every initrd a build writes. */
  public static final int GZIP_LEVEL = Compressors.GZIP_LEVEL;

  private static final byte[] TRAILER = "TRAILER!!!".getBytes(ISO_8859_1);
  private static final byte[] ZEROS = new byte[4];

  private final Compression compression;
  private final int threads;
  private final long maxFileSize;
  private final int gzipLevel;

  /** A writer compressing on as many threads as there are cores. */
  public InitrdWriter(Compression compression) {
    this(compression, Runtime.getRuntime().availableProcessors());
  }

  public InitrdWriter(Compression compression, int threads) {
    this(compression, threads, NEWC_MAX);
  }

  InitrdWriter(Compression compression, int threads, long maxFileSize) {
    this(compression, threads, maxFileSize, Compressors.GZIP_LEVEL);
  }

  /**
   * A writer with another gzip level than {@link #GZIP_LEVEL}, for measuring the levels ({@code
   * lamina assemble --gzip-level}); builds always use {@link #GZIP_LEVEL}, which the output-format
   * version stands for.
   */
  public InitrdWriter(Compression compression, int threads, int gzipLevel) {
    this(compression, threads, NEWC_MAX, gzipLevel);
  }

  InitrdWriter(Compression compression, int threads, long maxFileSize, int gzipLevel) {
    this.compression = compression;
    this.threads = threads;
    this.maxFileSize = maxFileSize;
    this.gzipLevel = gzipLevel;
  }

  /** Writes the archive to {@code out}, which is left open. Nothing is written if a check fails. */
  public void write(LayerUnion union, OutputStream out) throws IOException {
    List<LayerUnion.Entry> entries = union.entries();
    for (LayerUnion.Entry e : entries) {
      check(e);
    }
    Map<Inode, Integer> inodes = new IdentityHashMap<>();
    byte[] buffer = new byte[1 << 16];
    try (OutputStream z = Compressors.open(compression, out, threads, gzipLevel)) {
      for (LayerUnion.Entry e : entries) {
        Inode in = e.inode();
        Integer seen = inodes.get(in);
        int ino = seen != null ? seen : inodes.size() + 1;
        if (seen == null) {
          inodes.put(in, ino);
        }
        byte[] name = e.path().getBytes(ISO_8859_1);
        byte[] link = in.type == TarReader.SYMLINK ? in.linkTarget.getBytes(ISO_8859_1) : null;
        // Symlinks carry their target on every name: the kernel does not link them.
        long size = link != null ? link.length : seen == null ? in.size() : 0;
        header(z, ino, mode(in), in, e.nlink(), size, name);
        if (link != null) {
          z.write(link);
        } else if (size > 0) {
          in.content.copyTo(z, buffer);
        }
        z.write(ZEROS, 0, pad(size));
      }
      writeHeader(z, 0, 0, 0, 0, 1, 0, 0, 0, 0, TRAILER);
    }
  }

  private void check(LayerUnion.Entry e) throws AssemblyException {
    Inode in = e.inode();
    String what = "\"" + LayerUnion.utf8(e.path()) + "\"";
    if (in.size() > maxFileSize) {
      throw new AssemblyException(
          "file "
              + what
              + " is "
              + in.size()
              + " bytes, more than cpio newc can hold ("
              + maxFileSize
              + ")");
    }
    if (in.uid < 0 || in.uid > NEWC_MAX || in.gid < 0 || in.gid > NEWC_MAX) {
      throw new AssemblyException(
          "owner " + in.uid + ":" + in.gid + " of " + what + " does not fit cpio newc");
    }
  }

  private static int mode(Inode in) {
    int type =
        switch (in.type) {
          case TarReader.DIR -> 0040000;
          case TarReader.SYMLINK -> 0120000;
          case TarReader.CHAR -> 0020000;
          case TarReader.BLOCK -> 0060000;
          case TarReader.FIFO -> 0010000;
          default -> 0100000;
        };
    return type | (in.mode & 07777);
  }

  private static void header(
      OutputStream z, int ino, int mode, Inode in, int nlink, long size, byte[] name)
      throws IOException {
    // newc holds 32-bit unsigned mtimes; pre-1970 and post-2106 times are clamped.
    long mtime = Math.max(0, Math.min(NEWC_MAX, in.mtime));
    writeHeader(z, ino, mode, in.uid, in.gid, nlink, mtime, size, in.devMajor, in.devMinor, name);
  }

  private static void writeHeader(
      OutputStream z,
      long ino,
      long mode,
      long uid,
      long gid,
      long nlink,
      long mtime,
      long size,
      long rdevMajor,
      long rdevMinor,
      byte[] name)
      throws IOException {
    byte[] h = new byte[110];
    System.arraycopy("070701".getBytes(ISO_8859_1), 0, h, 0, 6);
    long[] fields = {
      ino, mode, uid, gid, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor, name.length + 1L, 0
    };
    for (int i = 0; i < fields.length; i++) {
      long v = fields[i] & 0xFFFFFFFFL;
      for (int d = 7; d >= 0; d--) {
        h[6 + i * 8 + d] = (byte) Character.toUpperCase(Character.forDigit((int) (v & 0xF), 16));
        v >>>= 4;
      }
    }
    z.write(h);
    z.write(name);
    z.write(0);
    z.write(ZEROS, 0, pad(110 + name.length + 1));
  }

  private static int pad(long n) {
    return (int) ((4 - n % 4) % 4);
  }
}

package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.lamina.oci.Streams;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads ustar, GNU and PAX tar headers. Our own reader rather than commons-compress because PAX
 * values (xattrs such as security.capability) are binary and names may not be UTF-8: every name is
 * kept as its raw bytes, held in a String decoded as ISO-8859-1 so that String order is byte order.
 */
final class TarReader {
  static final char REGULAR = '0';
  static final char HARDLINK = '1';
  static final char SYMLINK = '2';
  static final char CHAR = '3';
  static final char BLOCK = '4';
  static final char DIR = '5';
  static final char FIFO = '6';

  /**
   * The longest name or link target, in bytes: the kernel's initramfs unpacker skips a cpio entry
   * whose name with its NUL is longer than PATH_MAX (4096), and symlink() refuses a longer target.
   */
  static final int MAX_NAME = 4095;

  /**
   * All extension headers ('x', 'L', 'K', each counted with its 512-byte header) before one entry:
   * room for a long name and link target and the xattrs a file carries, and bounded so that a chain
   * of headers cannot fill the heap.
   */
  static final int MAX_EXTENSIONS = 256 << 10;

  /** The PAX global header: real ones hold a comment or a commit id. */
  static final int MAX_GLOBAL = 64 << 10;

  private static final String XATTR = "SCHILY.xattr.";

  /** One archive member, with PAX and GNU long-name extensions already applied. */
  record Header(
      String name,
      char type,
      int mode,
      long uid,
      long gid,
      long mtime,
      long size,
      String linkName,
      int devMajor,
      int devMinor,
      Map<String, byte[]> xattrs) {}

  /** A name or link target the kernel could not unpack. */
  static final class InvalidName extends AssemblyException {
    InvalidName(String message) {
      super(REASON_INVALID_ENTRY, message);
    }
  }

  /** A malformed tar archive (as opposed to a failing compressed stream under it). */
  static final class FormatException extends AssemblyException {
    FormatException(String message) {
      super(message);
    }
  }

  private final InputStream in;
  private final byte[] block = new byte[512];
  private final Map<String, byte[]> globalPax = new TreeMap<>();
  private long globalSize;
  private long remaining;
  private long padding;
  private String last = "(start of archive)";

  TarReader(InputStream in) {
    this.in = in;
  }

  /** The next member, or null at the end-of-archive marker. */
  Header next() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
    Map<String, byte[]> pax = new TreeMap<>(globalPax);
    String longName = null;
    String longLink = null;
    long extensions = 0;
    while (true) {
      int n = in.readNBytes(block, 0, 512);
      if (n < 512) {
        throw new FormatException(
            n == 0 && last.equals("(start of archive)")
                ? "empty tar archive"
                : "truncated tar archive after entry \"" + last + "\"");
      }
      if (isZero()) {
        // Read to the end so that a compressed stream under us checks its trailer.
        in.transferTo(java.io.OutputStream.nullOutputStream());
        return null;
      }
      verifyChecksum();
      char type = (char) (block[156] & 0xFF);
      long size = number(124, 12);
      if (type == 'x' || type == 'L' || type == 'K') {
        extensions += 512 + Math.max(size, 0);
        if (extensions > MAX_EXTENSIONS) {
          throw new FormatException(
              "extension headers of more than "
                  + (MAX_EXTENSIONS >> 10)
                  + " KiB before one entry, after \""
                  + last
                  + "\"");
        }
      }
      switch (type) {
        case 'x' -> PaxRecords.parse(meta(size), pax, last);
        case 'g' -> {
          globalSize += 512 + Math.max(size, 0);
          if (globalSize > MAX_GLOBAL) {
            throw new FormatException(
                "PAX global headers of more than "
                    + (MAX_GLOBAL >> 10)
                    + " KiB, after \""
                    + last
                    + "\"");
          }
          PaxRecords.parse(meta(size), globalPax, last);
          pax.putAll(globalPax);
        }
        case 'L' -> longName = cString(meta(size));
        case 'K' -> longLink = cString(meta(size));
        default -> {
          return member(type, size, pax, longName, longLink);
        }
      }
    }
  }

  /** The data of the current member; reading past it returns end of stream. */
  InputStream data() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        return Streams.readByte(this);
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
          return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw new FormatException("truncated tar archive in the data of \"" + last + "\"");
        }
        remaining -= n;
        return n;
      }
    };
  }

  private Header member(
      char type, long size, Map<String, byte[]> pax, String longName, String longLink)
      throws IOException {
    String name = longName != null ? longName : field(0, 100);
    if (longName == null && isPosixUstar()) {
      String prefix = field(345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    String link = longLink != null ? longLink : field(157, 100);
    long uid = number(108, 8);
    long gid = number(116, 8);
    long mtime = number(136, 12);
    int mode = (int) (number(100, 8) & 07777);
    int devMajor = 0;
    int devMinor = 0;
    if (type == CHAR || type == BLOCK) {
      devMajor = (int) number(329, 8);
      devMinor = (int) number(337, 8);
    }
    Map<String, byte[]> xattrs = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      String key = e.getKey();
      String value = new String(e.getValue(), ISO_8859_1);
      switch (key) {
        case "path" -> name = PaxRecords.noNul(key, value, last);
        case "linkpath" -> link = PaxRecords.noNul(key, value, last);
        case "size" -> size = PaxRecords.decimal(key, value, last);
        case "uid" -> uid = PaxRecords.decimal(key, value, last);
        case "gid" -> gid = PaxRecords.decimal(key, value, last);
        case "mtime" -> mtime = PaxRecords.seconds(value, last);
        default -> {
          if (key.startsWith(XATTR)) {
            xattrs.put(key.substring(XATTR.length()), e.getValue());
          } else if (key.startsWith("GNU.sparse")) {
            throw new FormatException("sparse file \"" + name + "\" is not supported");
          }
        }
      }
    }
    last = name;
    if (name.length() > MAX_NAME) {
      throw new InvalidName(
          "entry \""
              + LayerUnion.utf8(name.substring(0, 100))
              + "…\" has a name of "
              + name.length()
              + " bytes; the kernel unpacks at most "
              + MAX_NAME);
    }
    if (link.length() > MAX_NAME) {
      throw new InvalidName(
          "entry \""
              + LayerUnion.utf8(name)
              + "\" has a link target of "
              + link.length()
              + " bytes; the kernel allows at most "
              + MAX_NAME);
    }
    if (type == '\0' || type == '7') {
      type = name.endsWith("/") ? DIR : REGULAR;
    } else if (type == 'D') {
      type = DIR;
    } else if (type < REGULAR || type > FIFO) {
      throw new FormatException("unsupported tar entry type '" + type + "' for \"" + name + "\"");
    }
    if (size < 0) {
      throw new FormatException("negative size for \"" + name + "\"");
    }
    remaining = size;
    padding = (512 - size % 512) % 512;
    return new Header(name, type, mode, uid, gid, mtime, size, link, devMajor, devMinor, xattrs);
  }

  private byte[] meta(long size) throws IOException {
    if (size < 0 || size > MAX_EXTENSIONS) {
      throw new FormatException("extension header of " + size + " bytes after \"" + last + "\"");
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length < size) {
      throw new FormatException("truncated tar archive after entry \"" + last + "\"");
    }
    skip((512 - size % 512) % 512);
    return data;
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      long k = in.skip(n);
      if (k <= 0) {
        if (in.read() < 0) {
          throw new FormatException("truncated tar archive in the data of \"" + last + "\"");
        }
        k = 1;
      }
      n -= k;
    }
  }

  private boolean isZero() {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private boolean isPosixUstar() {
    return block[257] == 'u'
        && block[258] == 's'
        && block[259] == 't'
        && block[260] == 'a'
        && block[261] == 'r'
        && block[262] == 0;
  }

  private void verifyChecksum() throws FormatException {
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < 512; i++) {
      byte b = (i >= 148 && i < 156) ? (byte) ' ' : block[i];
      unsigned += b & 0xFF;
      signed += b;
    }
    long stored = number(148, 8);
    if (stored != unsigned && stored != signed) {
      throw new FormatException("corrupt tar header (bad checksum) after entry \"" + last + "\"");
    }
  }

  private long number(int off, int len) throws FormatException {
    if ((block[off] & 0x80) != 0) {
      // GNU base-256: big-endian two's complement, the top bit marking the encoding.
      long v = block[off] & 0x7F;
      if ((v & 0x40) != 0) {
        v |= ~0x7FL;
      }
      for (int i = 1; i < len; i++) {
        v = (v << 8) | (block[off + i] & 0xFF);
      }
      return v;
    }
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && (block[i] == ' ' || block[i] == 0)) {
      i++;
    }
    for (; i < end && block[i] != ' ' && block[i] != 0; i++) {
      int d = block[i] - '0';
      if (d < 0 || d > 7) {
        throw new FormatException("corrupt tar header (bad number) after entry \"" + last + "\"");
      }
      v = (v << 3) | d;
    }
    return v;
  }

  private String field(int off, int len) {
    int end = off;
    while (end < off + len && block[end] != 0) {
      end++;
    }
    return new String(block, off, end - off, ISO_8859_1);
  }

  private static String cString(byte[] data) {
    int end = 0;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    return new String(data, 0, end, ISO_8859_1);
  }
}

package dev.lamina.disk;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An image of a fixed size described as non-overlapping extents; everything between them reads as
 * zeros. The raw, qcow2 and ISO writers all read the same description, so the three carry the same
 * bytes without one being converted from another.
 */
public final class ImageLayout implements Closeable {
  /** Content placed at an offset of the image. */
  public record Extent(long offset, Content content) {
    long end() {
      return offset + content.size();
    }
  }

  private final long size;
  private final List<Extent> extents;

  public ImageLayout(long size, List<Extent> extents) {
    List<Extent> sorted = new ArrayList<>(extents);
    sorted.removeIf(e -> e.content().size() == 0);
    sorted.sort(Comparator.comparingLong(Extent::offset));
    long end = 0;
    for (Extent e : sorted) {
      if (e.offset() < end) {
        throw new IllegalArgumentException("overlapping extents at offset " + e.offset());
      }
      end = e.end();
    }
    if (end > size) {
      throw new IllegalArgumentException("extents end at " + end + ", past the image's " + size);
    }
    this.size = size;
    this.extents = List.copyOf(sorted);
  }

  public long size() {
    return size;
  }

  public List<Extent> extents() {
    return extents;
  }

  /** This layout's extents moved by {@code offset}, for embedding it into a larger image. */
  public List<Extent> shifted(long offset) {
    return extents.stream().map(e -> new Extent(e.offset() + offset, e.content())).toList();
  }

  /** Whether any extent overlaps [from, to). */
  public boolean touches(long from, long to) {
    int i = firstEndingAfter(from);
    return i < extents.size() && extents.get(i).offset() < to;
  }

  /** Fills {@code buf[off, off+len)} with the image's bytes at {@code pos}. */
  public void read(long pos, byte[] buf, int off, int len) throws IOException {
    java.util.Arrays.fill(buf, off, off + len, (byte) 0);
    long end = pos + len;
    for (int i = firstEndingAfter(pos); i < extents.size(); i++) {
      Extent e = extents.get(i);
      if (e.offset() >= end) {
        break;
      }
      long from = Math.max(pos, e.offset());
      long to = Math.min(end, e.end());
      e.content().read(from - e.offset(), buf, off + (int) (from - pos), (int) (to - from));
    }
  }

  /** Writes the whole image, in order, in chunks of 1 MiB. */
  public void writeTo(OutputStream out) throws IOException {
    byte[] chunk = new byte[1 << 20];
    for (long pos = 0; pos < size; pos += chunk.length) {
      int n = (int) Math.min(chunk.length, size - pos);
      read(pos, chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }

  private int firstEndingAfter(long pos) {
    int lo = 0;
    int hi = extents.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (extents.get(mid).end() <= pos) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Extent e : extents) {
      try {
        e.content().close();
      } catch (IOException ex) {
        first = first == null ? ex : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

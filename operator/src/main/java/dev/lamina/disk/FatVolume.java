package dev.lamina.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A FAT32 file system (the EFI System Partition) holding a few files, described as an {@link
 * ImageLayout}: boot sector, FSInfo and their backups, both FATs, directories, and the files'
 * contents in contiguous clusters. Names are 8.3 upper case (what EFI/BOOT/BOOTX64.EFI needs), so
 * no long-name entries are written.
 */
public final class FatVolume {
  static final int SECTOR = 512;
  static final int RESERVED = 32;
  static final int MIN_CLUSTERS = 65525; // below this, every driver reads the volume as FAT16
  static final long MAX_SECTORS = 0xFFFFFFFFL;
  private static final String LABEL = "LAMINA-ESP ";

  /** A file at an upper-case 8.3 path such as EFI/BOOT/BOOTX64.EFI. */
  public record File(String path, Content content) {}

  private FatVolume() {}

  /** Sectors per cluster for a volume of {@code sectors}, after Microsoft's FAT32 table. */
  static int sectorsPerCluster(long sectors) {
    if (sectors <= 532_480L) {
      return 1;
    }
    if (sectors <= 16_777_216L) {
      return 8;
    }
    if (sectors <= 33_554_432L) {
      return 16;
    }
    return sectors <= 67_108_864L ? 32 : 64;
  }

  /** The smallest FAT32 volume (in sectors) that holds {@code files}. */
  public static long minimumSectors(List<File> files) {
    Tree tree = Tree.of(files);
    for (int spc : new int[] {1, 8, 16, 32, 64}) {
      long clusters = Math.max(MIN_CLUSTERS + 16L, tree.clusters(spc * SECTOR));
      long fat = fatSectors(clusters);
      long sectors = RESERVED + 2 * fat + clusters * spc;
      if (sectorsPerCluster(sectors) == spc) {
        return sectors;
      }
    }
    throw new IllegalArgumentException("files too large for a FAT32 volume");
  }

  private static long fatSectors(long clusters) {
    return ((clusters + 2) * 4 + SECTOR - 1) / SECTOR;
  }

  /**
   * Lays out a volume of {@code sectors} holding {@code files}; the caller has checked it is at
   * least {@link #minimumSectors}.
   *
   * @param hiddenSectors where the volume starts on its disk
   */
  public static ImageLayout layout(
      long sectors, List<File> files, int serial, long hiddenSectors, long sourceDateEpoch) {
    if (sectors > MAX_SECTORS) {
      throw new IllegalArgumentException("a FAT32 volume holds at most 2 TiB");
    }
    int spc = sectorsPerCluster(sectors);
    int clusterBytes = spc * SECTOR;
    long fat = fatSectors((sectors - RESERVED) / spc);
    long clusters = (sectors - RESERVED - 2 * fat) / spc;
    // Fewer clusters fit than the first guess assumed: the FAT may now be a sector too long,
    // which only leaves it unused at the end.
    Tree tree = Tree.of(files);
    if (clusters < MIN_CLUSTERS || tree.clusters(clusterBytes) > clusters) {
      throw new IllegalArgumentException("volume of " + sectors + " sectors is too small");
    }
    int[] stamp = dosTime(sourceDateEpoch);
    List<ImageLayout.Extent> extents = new ArrayList<>();
    long data = (RESERVED + 2 * fat) * SECTOR;
    List<Long> chainEnds = new ArrayList<>();
    tree.allocate(clusterBytes, 2, chainEnds);
    for (Tree.Node n : tree.nodes()) {
      long offset = data + (n.cluster - 2) * clusterBytes;
      if (n.file != null) {
        extents.add(new ImageLayout.Extent(offset, n.file.content()));
      } else {
        extents.add(new ImageLayout.Extent(offset, Content.of(n.directory(stamp, clusterBytes))));
      }
    }
    long used = tree.clusters(clusterBytes);
    byte[] boot = bootSector(sectors, spc, fat, serial, hiddenSectors);
    byte[] info = fsInfo(clusters - used, 2 + used);
    extents.add(new ImageLayout.Extent(0, Content.of(boot)));
    extents.add(new ImageLayout.Extent(SECTOR, Content.of(info)));
    extents.add(new ImageLayout.Extent(6L * SECTOR, Content.of(boot)));
    extents.add(new ImageLayout.Extent(7L * SECTOR, Content.of(info)));
    long[] ends = chainEnds.stream().mapToLong(Long::longValue).sorted().toArray();
    extents.add(new ImageLayout.Extent((long) RESERVED * SECTOR, new FatTable(2 + used, ends)));
    extents.add(new ImageLayout.Extent((RESERVED + fat) * SECTOR, new FatTable(2 + used, ends)));
    return new ImageLayout(sectors * SECTOR, extents);
  }

  private static byte[] bootSector(long sectors, int spc, long fat, int serial, long hidden) {
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, new byte[] {(byte) 0xEB, 0x58, (byte) 0x90});
    b.put(3, "LAMINA  ".getBytes(StandardCharsets.US_ASCII));
    b.putShort(11, (short) SECTOR);
    b.put(13, (byte) spc);
    b.putShort(14, (short) RESERVED);
    b.put(16, (byte) 2);
    b.put(21, (byte) 0xF8);
    b.putShort(24, (short) 63);
    b.putShort(26, (short) 255);
    b.putInt(28, (int) hidden);
    b.putInt(32, (int) sectors);
    b.putInt(36, (int) fat);
    b.putInt(44, 2); // root directory cluster
    b.putShort(48, (short) 1); // FSInfo sector
    b.putShort(50, (short) 6); // backup boot sector
    b.put(64, (byte) 0x80);
    b.put(66, (byte) 0x29);
    b.putInt(67, serial);
    b.put(71, LABEL.getBytes(StandardCharsets.US_ASCII));
    b.put(82, "FAT32   ".getBytes(StandardCharsets.US_ASCII));
    b.put(90, (byte) 0xF4); // hlt: this volume is never booted by a BIOS
    b.putShort(510, (short) 0xAA55);
    return b.array();
  }

  private static byte[] fsInfo(long free, long nextFree) {
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 0x41615252);
    b.putInt(484, 0x61417272);
    b.putInt(488, (int) free);
    b.putInt(492, (int) nextFree);
    b.putInt(508, 0xAA550000);
    return b.array();
  }

  /** FAT time and date of sourceDateEpoch in UTC, clamped to 1980..2107 which FAT can hold. */
  static int[] dosTime(long epoch) {
    LocalDateTime t = LocalDateTime.ofInstant(Instant.ofEpochSecond(epoch), ZoneOffset.UTC);
    if (t.getYear() < 1980) {
      t = LocalDateTime.of(1980, 1, 1, 0, 0);
    } else if (t.getYear() > 2107) {
      t = LocalDateTime.of(2107, 12, 31, 23, 59, 58);
    }
    int time = t.getHour() << 11 | t.getMinute() << 5 | t.getSecond() / 2;
    int date = (t.getYear() - 1980) << 9 | t.getMonthValue() << 5 | t.getDayOfMonth();
    return new int[] {time, date};
  }

  /** The FAT: entries 0 and 1, then consecutive chains; computed as it is read. */
  private static final class FatTable implements Content {
    private final long entries;
    private final long[] chainEnds;

    FatTable(long entries, long[] chainEnds) {
      this.entries = entries;
      this.chainEnds = chainEnds;
    }

    @Override
    public long size() {
      return entries * 4;
    }

    @Override
    public void read(long pos, byte[] buf, int off, int len) {
      for (int i = 0; i < len; i++) {
        long at = pos + i;
        long index = at / 4;
        long value;
        if (index == 0) {
          value = 0x0FFFFFF8L;
        } else if (index == 1 || java.util.Arrays.binarySearch(chainEnds, index) >= 0) {
          value = 0x0FFFFFFFL;
        } else {
          value = index + 1;
        }
        buf[off + i] = (byte) (value >>> (8 * (at % 4)));
      }
    }
  }

  /** The directory tree of the files, and the clusters each entry takes. */
  private static final class Tree {
    final Map<String, Node> byPath = new TreeMap<>();
    final Node root = new Node("", null, null);

    static Tree of(List<File> files) {
      Tree t = new Tree();
      for (File f : files) {
        String[] parts = f.path().split("/");
        Node dir = t.root;
        for (int i = 0; i < parts.length; i++) {
          String name = shortName(parts[i], f.path());
          boolean last = i == parts.length - 1;
          Node child = dir.children.get(name);
          if (child == null) {
            child = new Node(name, dir, last ? f : null);
            dir.children.put(name, child);
          } else if (last || child.file != null) {
            throw new IllegalArgumentException("duplicate path in the ESP: " + f.path());
          }
          dir = child;
        }
      }
      return t;
    }

    /** Every node, root first, in the order their clusters are allocated. */
    List<Node> nodes() {
      List<Node> out = new ArrayList<>();
      collect(root, out);
      return out;
    }

    private static void collect(Node n, List<Node> out) {
      out.add(n);
      n.children.values().stream().filter(c -> c.file == null).forEach(c -> collect(c, out));
      n.children.values().stream().filter(c -> c.file != null).forEach(out::add);
    }

    long clusters(int clusterBytes) {
      return nodes().stream().mapToLong(n -> n.clusterCount(clusterBytes)).sum();
    }

    void allocate(int clusterBytes, long first, List<Long> chainEnds) {
      long next = first;
      for (Node n : nodes()) {
        long count = n.clusterCount(clusterBytes);
        n.cluster = count == 0 ? 0 : next;
        next += count;
        if (count > 0) {
          chainEnds.add(next - 1);
        }
      }
    }

    private static String shortName(String part, String path) {
      if (!part.matches("[A-Z0-9_~-]{1,8}(\\.[A-Z0-9_~-]{1,3})?")) {
        throw new IllegalArgumentException("not an upper-case 8.3 name: " + part + " in " + path);
      }
      return part;
    }

    static final class Node {
      final String name;
      final Node parent;
      final File file;
      final Map<String, Node> children = new TreeMap<>();
      long cluster;

      Node(String name, Node parent, File file) {
        this.name = name;
        this.parent = parent;
        this.file = file;
      }

      long clusterCount(int clusterBytes) {
        long bytes = file != null ? file.content().size() : (children.size() + 3) * 32L;
        return (bytes + clusterBytes - 1) / clusterBytes;
      }

      byte[] directory(int[] stamp, int clusterBytes) {
        long size = clusterCount(clusterBytes) * clusterBytes;
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        if (parent == null) {
          entry(b, at, LABEL, 0x08, 0, 0, stamp);
        } else {
          entry(b, at, ".", 0x10, cluster, 0, stamp);
          at += 32;
          long up = parent.parent == null ? 0 : parent.cluster;
          entry(b, at, "..", 0x10, up, 0, stamp);
        }
        at += 32;
        for (Node c : children.values()) {
          long size1 = c.file == null ? 0 : c.file.content().size();
          entry(b, at, c.name, c.file == null ? 0x10 : 0x20, c.cluster, size1, stamp);
          at += 32;
        }
        return b.array();
      }

      private static void entry(
          ByteBuffer b, int at, String name, int attr, long cluster, long size, int[] stamp) {
        byte[] raw = new byte[11];
        java.util.Arrays.fill(raw, (byte) ' ');
        if (name.startsWith(".") || attr == 0x08) {
          byte[] n = name.getBytes(StandardCharsets.US_ASCII);
          System.arraycopy(n, 0, raw, 0, Math.min(11, n.length));
        } else {
          int dot = name.indexOf('.');
          String base = dot < 0 ? name : name.substring(0, dot);
          String ext = dot < 0 ? "" : name.substring(dot + 1);
          byte[] bb = base.getBytes(StandardCharsets.US_ASCII);
          byte[] eb = ext.getBytes(StandardCharsets.US_ASCII);
          System.arraycopy(bb, 0, raw, 0, bb.length);
          System.arraycopy(eb, 0, raw, 8, eb.length);
        }
        b.put(at, raw);
        b.put(at + 11, (byte) attr);
        b.putShort(at + 14, (short) stamp[0]);
        b.putShort(at + 16, (short) stamp[1]);
        b.putShort(at + 18, (short) stamp[1]);
        b.putShort(at + 20, (short) (cluster >>> 16));
        b.putShort(at + 22, (short) stamp[0]);
        b.putShort(at + 24, (short) stamp[1]);
        b.putShort(at + 26, (short) cluster);
        b.putInt(at + 28, (int) size);
      }
    }
  }
}

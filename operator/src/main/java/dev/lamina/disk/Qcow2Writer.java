package dev.lamina.disk;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * Writes an {@link ImageLayout} as a qcow2 (version 3) file in one pass: which clusters hold data
 * is known from the layout before a byte is read, so the header, refcounts, L1 and L2 tables come
 * first and the data clusters follow in guest order. Clusters no extent touches stay unallocated
 * (read as zeros), which is what makes the file smaller than the raw disk.
 */
public final class Qcow2Writer {
  private static final int CLUSTER_BITS = 16;
  private static final int CLUSTER = 1 << CLUSTER_BITS;
  private static final int L2_ENTRIES = CLUSTER / 8;
  private static final int REFCOUNTS_PER_BLOCK = CLUSTER / 2; // 16-bit refcounts
  private static final long COPIED = 1L << 63; // refcount is exactly one

  private Qcow2Writer() {}

  public static void write(ImageLayout image, OutputStream out) throws IOException {
    long guestClusters = (image.size() + CLUSTER - 1) / CLUSTER;
    BitSet data = new BitSet();
    for (long g = 0; g < guestClusters; g++) {
      if (image.touches(g * CLUSTER, (g + 1) * CLUSTER)) {
        data.set((int) g);
      }
    }
    int l1Size = (int) ((guestClusters + L2_ENTRIES - 1) / L2_ENTRIES);
    BitSet l2Used = new BitSet();
    data.stream().forEach(g -> l2Used.set(g / L2_ENTRIES));
    long l1Clusters = clusters(l1Size * 8L);
    long l2Tables = l2Used.cardinality();
    long dataClusters = data.cardinality();
    long fixed = 1 + l1Clusters + l2Tables + dataClusters;
    long refBlocks = 1;
    long refTable = 1;
    while (true) {
      long total = fixed + refTable + refBlocks;
      long blocks = (total + REFCOUNTS_PER_BLOCK - 1) / REFCOUNTS_PER_BLOCK;
      long table = clusters(blocks * 8);
      if (blocks == refBlocks && table == refTable) {
        break;
      }
      refBlocks = blocks;
      refTable = table;
    }
    long total = fixed + refTable + refBlocks;
    long refTableAt = 1;
    long refBlocksAt = refTableAt + refTable;
    long l1At = refBlocksAt + refBlocks;
    long l2At = l1At + l1Clusters;
    long dataAt = l2At + l2Tables;

    out.write(header(image.size(), l1Size, l1At * CLUSTER, refTableAt * CLUSTER, (int) refTable));
    ByteBuffer table = ByteBuffer.allocate((int) (refTable * CLUSTER));
    for (long i = 0; i < refBlocks; i++) {
      table.putLong((refBlocksAt + i) * CLUSTER);
    }
    out.write(table.array());
    byte[] block = new byte[CLUSTER];
    for (long i = 0; i < refBlocks; i++) {
      java.util.Arrays.fill(block, (byte) 0);
      for (int j = 0; j < REFCOUNTS_PER_BLOCK; j++) {
        long cluster = i * REFCOUNTS_PER_BLOCK + j;
        if (cluster < total) {
          block[2 * j + 1] = 1; // big-endian 16-bit one
        }
      }
      out.write(block);
    }
    ByteBuffer l1 = ByteBuffer.allocate((int) (l1Clusters * CLUSTER));
    long nextL2 = l2At;
    for (int i = 0; i < l1Size; i++) {
      l1.putLong(l2Used.get(i) ? (nextL2++ * CLUSTER) | COPIED : 0);
    }
    out.write(l1.array());
    long nextData = dataAt;
    for (int t = l2Used.nextSetBit(0); t >= 0; t = l2Used.nextSetBit(t + 1)) {
      ByteBuffer l2 = ByteBuffer.allocate(CLUSTER);
      for (int j = 0; j < L2_ENTRIES; j++) {
        int g = t * L2_ENTRIES + j;
        l2.putLong(data.get(g) ? (nextData++ * CLUSTER) | COPIED : 0);
      }
      out.write(l2.array());
    }
    byte[] cluster = new byte[CLUSTER];
    for (int g = data.nextSetBit(0); g >= 0; g = data.nextSetBit(g + 1)) {
      long at = (long) g * CLUSTER;
      int n = (int) Math.min(CLUSTER, image.size() - at);
      image.read(at, cluster, 0, n);
      java.util.Arrays.fill(cluster, n, CLUSTER, (byte) 0);
      out.write(cluster);
    }
  }

  private static long clusters(long bytes) {
    return Math.max(1, (bytes + CLUSTER - 1) / CLUSTER);
  }

  private static byte[] header(
      long size, int l1Size, long l1Offset, long refTableOffset, int refTableClusters) {
    ByteBuffer b = ByteBuffer.allocate(CLUSTER); // big-endian, as qcow2 is
    b.putInt(0, 0x514649FB);
    b.putInt(4, 3);
    b.putInt(20, CLUSTER_BITS);
    b.putLong(24, size);
    b.putInt(36, l1Size);
    b.putLong(40, l1Offset);
    b.putLong(48, refTableOffset);
    b.putInt(56, refTableClusters);
    b.putInt(96, 4); // refcount_order: 16-bit refcounts
    b.putInt(100, 104); // header_length; the end-of-extensions marker (zeros) follows
    return b.array();
  }
}

package dev.lamina.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;

/**
 * An ISO 9660 image that boots on UEFI as a CD-ROM: an El Torito catalog whose one entry (platform
 * EFI, no emulation) points at an embedded ESP image. The root directory also lists the catalog and
 * the ESP as files, as xorriso does. Every date is sourceDateEpoch.
 */
public final class IsoImage {
  static final int BLOCK = 2048;
  private static final int PVD = 16;
  private static final int BOOT_RECORD = 17;
  private static final int TERMINATOR = 18;
  private static final int PATH_L = 19;
  private static final int PATH_M = 20;
  private static final int ROOT = 21;
  private static final int CATALOG = 22;
  private static final int ESP = 23;
  private static final String VOLUME = "LAMINA";

  private IsoImage() {}

  /** The image: descriptors, path tables, the root directory, the catalog, then the ESP. */
  public static ImageLayout layout(ImageLayout esp, long sourceDateEpoch) {
    long espBlocks = (esp.size() + BLOCK - 1) / BLOCK;
    long blocks = ESP + espBlocks;
    if (blocks > 0xFFFFFFFFL || esp.size() > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("the ESP is too large for an ISO 9660 file");
    }
    LocalDateTime t =
        LocalDateTime.ofInstant(Instant.ofEpochSecond(sourceDateEpoch), ZoneOffset.UTC);
    byte[] root = directory(esp.size(), t);
    byte[] area = new byte[(ESP - PVD) * BLOCK];
    ByteBuffer b = ByteBuffer.wrap(area).order(ByteOrder.LITTLE_ENDIAN);
    primary(b, 0, blocks, t);
    bootRecord(b, (BOOT_RECORD - PVD) * BLOCK);
    descriptorHead(b, (TERMINATOR - PVD) * BLOCK, 255);
    pathTable(b, (PATH_L - PVD) * BLOCK, ByteOrder.LITTLE_ENDIAN);
    pathTable(b, (PATH_M - PVD) * BLOCK, ByteOrder.BIG_ENDIAN);
    b.put((ROOT - PVD) * BLOCK, root);
    catalog(b, (CATALOG - PVD) * BLOCK, esp.size());
    List<ImageLayout.Extent> extents = new java.util.ArrayList<>(esp.shifted((long) ESP * BLOCK));
    extents.add(new ImageLayout.Extent((long) PVD * BLOCK, Content.of(area)));
    return new ImageLayout(blocks * BLOCK, extents);
  }

  private static void descriptorHead(ByteBuffer b, int at, int type) {
    b.put(at, (byte) type);
    b.put(at + 1, "CD001".getBytes(StandardCharsets.US_ASCII));
    b.put(at + 6, (byte) 1);
  }

  private static void primary(ByteBuffer b, int at, long blocks, LocalDateTime t) {
    descriptorHead(b, at, 1);
    text(b, at + 8, 32, "");
    text(b, at + 40, 32, VOLUME);
    both32(b, at + 80, blocks);
    both16(b, at + 120, 1);
    both16(b, at + 124, 1);
    both16(b, at + 128, BLOCK);
    both32(b, at + 132, 10);
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(at + 140, PATH_L);
    b.order(ByteOrder.BIG_ENDIAN).putInt(at + 148, PATH_M);
    b.order(ByteOrder.LITTLE_ENDIAN);
    record(b, at + 156, new byte[] {0}, ROOT, BLOCK, 0x02, t);
    text(b, at + 190, 128, "");
    text(b, at + 318, 128, "");
    text(b, at + 446, 128, "");
    text(b, at + 574, 128, "LAMINA");
    text(b, at + 702, 37 * 3, "");
    longDate(b, at + 813, t);
    longDate(b, at + 830, t);
    b.put(at + 847, "0000000000000000".getBytes(StandardCharsets.US_ASCII));
    longDate(b, at + 864, t);
    b.put(at + 881, (byte) 1);
  }

  private static void bootRecord(ByteBuffer b, int at) {
    descriptorHead(b, at, 0);
    b.put(at + 7, "EL TORITO SPECIFICATION".getBytes(StandardCharsets.US_ASCII));
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(at + 71, CATALOG);
  }

  private static void pathTable(ByteBuffer b, int at, ByteOrder order) {
    b.put(at, (byte) 1);
    b.order(order).putInt(at + 2, ROOT);
    b.putShort(at + 6, (short) 1);
    b.order(ByteOrder.LITTLE_ENDIAN);
  }

  private static byte[] directory(long espSize, LocalDateTime t) {
    ByteBuffer b = ByteBuffer.allocate(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    int at = record(b, 0, new byte[] {0}, ROOT, BLOCK, 0x02, t);
    at += record(b, at, new byte[] {1}, ROOT, BLOCK, 0x02, t);
    at += record(b, at, name("BOOT.CAT;1"), CATALOG, BLOCK, 0, t);
    record(b, at, name("EFIBOOT.IMG;1"), ESP, espSize, 0, t);
    return b.array();
  }

  private static byte[] name(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** A directory record at {@code at}; returns its length. */
  private static int record(
      ByteBuffer b, int at, byte[] id, long extent, long size, int flags, LocalDateTime t) {
    int len = 33 + id.length + (id.length % 2 == 0 ? 1 : 0);
    b.put(at, (byte) len);
    both32(b, at + 2, extent);
    both32(b, at + 10, size);
    b.put(at + 18, (byte) (t.getYear() - 1900));
    b.put(at + 19, (byte) t.getMonthValue());
    b.put(at + 20, (byte) t.getDayOfMonth());
    b.put(at + 21, (byte) t.getHour());
    b.put(at + 22, (byte) t.getMinute());
    b.put(at + 23, (byte) t.getSecond());
    b.put(at + 24, (byte) 0); // UTC
    b.put(at + 25, (byte) flags);
    both16(b, at + 28, 1);
    b.put(at + 32, (byte) id.length);
    b.put(at + 33, id);
    return len;
  }

  private static void catalog(ByteBuffer b, int at, long espSize) {
    byte[] entry = new byte[32];
    entry[0] = 1; // validation entry
    entry[1] = (byte) 0xEF; // platform: EFI
    byte[] id = VOLUME.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(id, 0, entry, 4, id.length);
    entry[30] = 0x55;
    entry[31] = (byte) 0xAA;
    int sum = 0;
    for (int i = 0; i < 32; i += 2) {
      sum += (entry[i] & 0xFF) | (entry[i + 1] & 0xFF) << 8;
    }
    int check = -sum & 0xFFFF;
    entry[28] = (byte) check;
    entry[29] = (byte) (check >>> 8);
    b.put(at, entry);
    ByteBuffer d = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    d.put(0, (byte) 0x88); // bootable, no emulation
    // Counted in 512-byte sectors, which 16 bits hold up to 32 MiB; a larger ESP says the most it
    // can, and firmware reads the FAT's own size from its boot sector.
    d.putShort(6, (short) Math.min(0xFFFF, (espSize + 511) / 512));
    d.putInt(8, ESP);
    b.put(at + 32, d.array());
  }

  private static void text(ByteBuffer b, int at, int len, String s) {
    byte[] field = new byte[len];
    Arrays.fill(field, (byte) ' ');
    byte[] v = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, field, 0, Math.min(len, v.length));
    b.put(at, field);
  }

  private static void longDate(ByteBuffer b, int at, LocalDateTime t) {
    String s =
        String.format(
            "%04d%02d%02d%02d%02d%02d00",
            t.getYear(),
            t.getMonthValue(),
            t.getDayOfMonth(),
            t.getHour(),
            t.getMinute(),
            t.getSecond());
    b.put(at, s.getBytes(StandardCharsets.US_ASCII));
    b.put(at + 16, (byte) 0);
  }

  private static void both16(ByteBuffer b, int at, int v) {
    b.order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) v);
    b.order(ByteOrder.BIG_ENDIAN).putShort(at + 2, (short) v);
    b.order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void both32(ByteBuffer b, int at, long v) {
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
    b.order(ByteOrder.BIG_ENDIAN).putInt(at + 4, (int) v);
    b.order(ByteOrder.LITTLE_ENDIAN);
  }
}

package dev.lamina.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A GPT disk with one partition, the EFI System Partition: protective MBR, primary header and
 * entries, the partition at 1 MiB, and the backup entries and header in the last 33 sectors.
 */
public final class GptDisk {
  static final int SECTOR = 512;
  static final long ALIGN = 2048; // sectors: partitions start on 1 MiB
  private static final int ENTRIES = 128;
  private static final int ENTRY_SIZE = 128;
  private static final int ENTRY_SECTORS = ENTRIES * ENTRY_SIZE / SECTOR;
  private static final byte[] ESP_TYPE = {
    0x28,
    0x73,
    0x2A,
    (byte) 0xC1,
    0x1F,
    (byte) 0xF8,
    (byte) 0xD2,
    0x11,
    (byte) 0xBA,
    0x4B,
    0x00,
    (byte) 0xA0,
    (byte) 0xC9,
    0x3E,
    (byte) 0xC9,
    0x3B
  };

  private GptDisk() {}

  /** The disk size (in sectors) whose partition holds {@code espSectors}: 1 MiB either side. */
  public static long sectorsFor(long espSectors) {
    return ALIGN + roundUp(espSectors, ALIGN) + ALIGN;
  }

  /** How many sectors a disk of {@code diskSectors} gives its partition. */
  public static long partitionSectors(long diskSectors) {
    long lastUsable = diskSectors - 2 - ENTRY_SECTORS;
    return Math.max(0, (lastUsable + 1 - ALIGN) / ALIGN * ALIGN);
  }

  static long roundUp(long v, long a) {
    return (v + a - 1) / a * a;
  }

  /** The disk's layout: the partition's extents at 1 MiB and the partition tables around them. */
  public static ImageLayout layout(long diskSectors, ImageLayout esp, DiskIds ids) {
    long espSectors = esp.size() / SECTOR;
    byte[] entries = new byte[ENTRIES * ENTRY_SIZE];
    ByteBuffer e = ByteBuffer.wrap(entries).order(ByteOrder.LITTLE_ENDIAN);
    e.put(0, ESP_TYPE);
    e.put(16, ids.guid("gpt-partition-esp"));
    e.putLong(32, ALIGN);
    e.putLong(40, ALIGN + espSectors - 1);
    e.put(56, "EFI System Partition".getBytes(StandardCharsets.UTF_16LE));
    CRC32 crc = new CRC32();
    crc.update(entries);
    int entriesCrc = (int) crc.getValue();
    byte[] disk = ids.guid("gpt-disk");
    long last = diskSectors - 1;
    long backupEntries = last - ENTRY_SECTORS;
    byte[] primary = header(1, last, 2, diskSectors, disk, entriesCrc);
    byte[] backup = header(last, 1, backupEntries, diskSectors, disk, entriesCrc);
    List<ImageLayout.Extent> extents = new ArrayList<>(esp.shifted(ALIGN * SECTOR));
    extents.add(new ImageLayout.Extent(0, Content.of(protectiveMbr(diskSectors))));
    extents.add(new ImageLayout.Extent(SECTOR, Content.of(primary)));
    extents.add(new ImageLayout.Extent(2L * SECTOR, Content.of(entries)));
    extents.add(new ImageLayout.Extent(backupEntries * SECTOR, Content.of(entries)));
    extents.add(new ImageLayout.Extent(last * SECTOR, Content.of(backup)));
    return new ImageLayout(diskSectors * SECTOR, extents);
  }

  private static byte[] header(
      long self, long alternate, long entriesLba, long diskSectors, byte[] guid, int entriesCrc) {
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0, "EFI PART".getBytes(StandardCharsets.US_ASCII));
    b.putInt(8, 0x00010000);
    b.putInt(12, 92);
    b.putLong(24, self);
    b.putLong(32, alternate);
    b.putLong(40, 2 + ENTRY_SECTORS);
    b.putLong(48, diskSectors - 2 - ENTRY_SECTORS);
    b.put(56, guid);
    b.putLong(72, entriesLba);
    b.putInt(80, ENTRIES);
    b.putInt(84, ENTRY_SIZE);
    b.putInt(88, entriesCrc);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 0, 92);
    b.putInt(16, (int) crc.getValue());
    return b.array();
  }

  private static byte[] protectiveMbr(long diskSectors) {
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    int p = 446;
    b.put(p + 1, (byte) 0x00);
    b.put(p + 2, (byte) 0x02);
    b.put(p + 4, (byte) 0xEE);
    b.put(p + 5, (byte) 0xFF);
    b.put(p + 6, (byte) 0xFF);
    b.put(p + 7, (byte) 0xFF);
    b.putInt(p + 8, 1);
    b.putInt(p + 12, (int) Math.min(diskSectors - 1, 0xFFFFFFFFL));
    b.putShort(510, (short) 0xAA55);
    return b.array();
  }
}

package dev.lamina.disk;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Reads back what the writers wrote, independently of them: a GPT, a FAT32 file by path, a qcow2
 * file as its guest bytes, and an ISO's El Torito boot image. Each check that fails names what.
 */
final class DiskReaders {
  private DiskReaders() {}

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Checks both GPT headers and returns the first partition's bytes. */
  static byte[] gptPartition(byte[] disk) {
    ByteBuffer b = le(disk);
    assertThat(b.getShort(510) & 0xFFFF).as("MBR signature").isEqualTo(0xAA55);
    assertThat(disk[446 + 4] & 0xFF).as("protective MBR type").isEqualTo(0xEE);
    long sectors = disk.length / 512;
    long[] headers = {1, sectors - 1};
    long first = 0;
    long last = 0;
    for (long lba : headers) {
      int at = (int) (lba * 512);
      assertThat(new String(disk, at, 8, StandardCharsets.US_ASCII)).isEqualTo("EFI PART");
      byte[] header = Arrays.copyOfRange(disk, at, at + 92);
      int stored = le(header).getInt(16);
      le(header).putInt(16, 0);
      assertThat(crc(header)).as("header CRC at LBA " + lba).isEqualTo(stored);
      assertThat(b.getLong(at + 24)).as("MyLBA").isEqualTo(lba);
      long entries = b.getLong(at + 72);
      byte[] table = Arrays.copyOfRange(disk, (int) entries * 512, (int) entries * 512 + 16384);
      assertThat(crc(table)).as("entries CRC").isEqualTo(b.getInt(at + 88));
      assertThat(Arrays.copyOf(table, 16))
          .as("ESP type GUID")
          .isEqualTo(
              new byte[] {
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
              });
      first = le(table).getLong(32);
      last = le(table).getLong(40);
      assertThat(last).isLessThanOrEqualTo(b.getLong(at + 48));
    }
    return Arrays.copyOfRange(disk, (int) first * 512, (int) (last + 1) * 512);
  }

  private static int crc(byte[] b) {
    CRC32 c = new CRC32();
    c.update(b);
    return (int) c.getValue();
  }

  /** Reads a file of a FAT32 volume by its 8.3 path, following directory and file chains. */
  static byte[] fatFile(byte[] volume, String path) {
    ByteBuffer b = le(volume);
    assertThat(new String(volume, 82, 8, StandardCharsets.US_ASCII)).isEqualTo("FAT32   ");
    int bps = b.getShort(11);
    int spc = volume[13] & 0xFF;
    int reserved = b.getShort(14);
    long fatSectors = b.getInt(36);
    long total = Integer.toUnsignedLong(b.getInt(32));
    long clusters = (total - reserved - 2 * fatSectors) / spc;
    assertThat(clusters).as("FAT32 needs at least 65525 clusters").isGreaterThanOrEqualTo(65525);
    long fat = (long) reserved * bps;
    long data = (reserved + 2 * fatSectors) * bps;
    int cb = spc * bps;
    assertThat(Arrays.copyOfRange(volume, (int) fat, (int) (fat + fatSectors * bps)))
        .as("second FAT")
        .isEqualTo(
            Arrays.copyOfRange(
                volume, (int) (fat + fatSectors * bps), (int) (fat + 2 * fatSectors * bps)));
    long cluster = b.getInt(44);
    long size = -1;
    for (String part : path.split("/")) {
      byte[] dir = chain(volume, b, fat, data, cb, cluster, -1);
      long found = -1;
      for (int at = 0; at + 32 <= dir.length && dir[at] != 0; at += 32) {
        String name = new String(dir, at, 8, StandardCharsets.US_ASCII).strip();
        String ext = new String(dir, at + 8, 3, StandardCharsets.US_ASCII).strip();
        String full = ext.isEmpty() ? name : name + "." + ext;
        if (full.equals(part) && (dir[at + 11] & 0x08) == 0) {
          found =
              (le(dir).getShort(at + 20) & 0xFFFFL) << 16 | (le(dir).getShort(at + 26) & 0xFFFF);
          size = Integer.toUnsignedLong(le(dir).getInt(at + 28));
        }
      }
      assertThat(found).as(part + " in " + path).isPositive();
      cluster = found;
    }
    return chain(volume, b, fat, data, cb, cluster, size);
  }

  private static byte[] chain(
      byte[] v, ByteBuffer b, long fat, long data, int cb, long cluster, long size) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (long c = cluster; c < 0x0FFFFFF8L; c = b.getInt((int) (fat + c * 4)) & 0x0FFFFFFFL) {
      assertThat(c).as("cluster chain").isGreaterThanOrEqualTo(2);
      out.write(v, (int) (data + (c - 2) * cb), cb);
    }
    byte[] all = out.toByteArray();
    return size < 0 ? all : Arrays.copyOf(all, (int) size);
  }

  /** The guest bytes of a qcow2 (version 3, no snapshots, no compression). */
  static byte[] qcow2Guest(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file);
    assertThat(b.getInt(0)).as("qcow2 magic").isEqualTo(0x514649FB);
    int bits = b.getInt(20);
    int cluster = 1 << bits;
    long size = b.getLong(24);
    int l1Size = b.getInt(36);
    long l1 = b.getLong(40);
    byte[] guest = new byte[(int) size];
    long perL2 = cluster / 8;
    for (int i = 0; i < l1Size; i++) {
      long l2 = b.getLong((int) (l1 + 8L * i)) & 0x00FFFFFFFFFFFE00L;
      if (l2 == 0) {
        continue;
      }
      for (int j = 0; j < perL2; j++) {
        long host = b.getLong((int) (l2 + 8L * j)) & 0x00FFFFFFFFFFFE00L;
        long g = (i * perL2 + j) * cluster;
        if (host != 0 && g < size) {
          System.arraycopy(file, (int) host, guest, (int) g, (int) Math.min(cluster, size - g));
        }
      }
    }
    return guest;
  }

  /**
   * The boot image that an ISO's El Torito catalog points at, its size taken from the ESP's BPB.
   */
  static byte[] elToritoImage(byte[] iso) {
    ByteBuffer b = le(iso);
    assertThat(new String(iso, 16 * 2048 + 1, 5, StandardCharsets.US_ASCII)).isEqualTo("CD001");
    int br = 17 * 2048;
    assertThat(new String(iso, br + 7, 23, StandardCharsets.US_ASCII))
        .isEqualTo("EL TORITO SPECIFICATION");
    int catalog = b.getInt(br + 71) * 2048;
    assertThat(iso[catalog] & 0xFF).as("validation entry").isEqualTo(1);
    assertThat(iso[catalog + 1] & 0xFF).as("platform EFI").isEqualTo(0xEF);
    int sum = 0;
    for (int i = 0; i < 32; i += 2) {
      sum += b.getShort(catalog + i) & 0xFFFF;
    }
    assertThat(sum & 0xFFFF).as("validation checksum").isZero();
    assertThat(iso[catalog + 32] & 0xFF).as("bootable entry").isEqualTo(0x88);
    int lba = b.getInt(catalog + 40);
    int start = lba * 2048;
    long sectors = Integer.toUnsignedLong(b.getInt(start + 32));
    return Arrays.copyOfRange(iso, start, (int) (start + sectors * 512));
  }
}

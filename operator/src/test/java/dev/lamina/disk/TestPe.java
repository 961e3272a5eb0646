package dev.lamina.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Minimal PE32+ EFI applications for tests: headers, one .text section, nothing that runs. */
final class TestPe {
  private TestPe() {}

  /** A stub-shaped PE: 1 KiB of headers (room for more sections), one 512-byte .text section. */
  static byte[] efi(int machine, int extraBytes) {
    int pe = 0x80;
    int optSize = 240;
    byte[] file = new byte[0x400 + 0x200 + extraBytes];
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort(0, (short) 0x5A4D);
    b.putInt(0x3C, pe);
    b.putInt(pe, 0x00004550);
    b.putShort(pe + 4, (short) machine);
    b.putShort(pe + 6, (short) 1);
    b.putInt(pe + 8, 0x12345678); // a build time the UKI must replace
    b.putShort(pe + 20, (short) optSize);
    int opt = pe + 24;
    b.putShort(opt, (short) 0x20B);
    b.putInt(opt + 8, 0x200);
    b.putInt(opt + 32, 0x1000); // SectionAlignment
    b.putInt(opt + 36, 0x200); // FileAlignment
    b.putInt(opt + 56, 0x2000); // SizeOfImage
    b.putInt(opt + 60, 0x400); // SizeOfHeaders
    b.putInt(opt + 64, 0xBEEF); // CheckSum
    b.putShort(opt + 68, (short) 10); // EFI application
    int s = opt + optSize;
    b.put(s, ".text".getBytes(StandardCharsets.US_ASCII));
    b.putInt(s + 8, 0x200);
    b.putInt(s + 12, 0x1000);
    b.putInt(s + 16, 0x200);
    b.putInt(s + 20, 0x400);
    b.putInt(s + 36, 0x60000020);
    for (int i = 0x400; i < 0x600; i++) {
      file[i] = (byte) 0xCC;
    }
    return file;
  }

  /** An x86 bzImage-shaped kernel: a PE header plus the setup header's version and cmdline size. */
  static byte[] bzImage(String release, int cmdlineSize) {
    byte[] file = efi(PeFile.MACHINE_AMD64, 0x2000);
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    // The PE header sits at 0x80 and the setup header at 0x1F1: both fit, as in a real bzImage.
    b.putInt(0x202, 0x53726448);
    b.putShort(0x206, (short) 0x20F);
    b.putInt(0x238, cmdlineSize);
    int version = 0x800;
    b.putShort(0x20E, (short) (version - 0x200));
    b.put(version, (release + " (test@lamina) #1 SMP").getBytes(StandardCharsets.US_ASCII));
    return file;
  }
}

package dev.lamina.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The headers of a PE32+ file, as far as a UKI needs them: machine, alignment, sections. */
public record PeFile(
    int machine,
    int subsystem,
    int peOffset,
    int optionalHeaderSize,
    long sectionAlignment,
    long fileAlignment,
    long sizeOfHeaders,
    List<Section> sections) {

  public static final int MACHINE_AMD64 = 0x8664;
  public static final int MACHINE_ARM64 = 0xAA64;
  static final int SUBSYSTEM_EFI_APPLICATION = 10;
  static final int SECTION_HEADER_SIZE = 40;

  /** One section header. */
  public record Section(
      String name, long virtualSize, long virtualAddress, long rawSize, long rawPointer) {}

  /** The machine a Lamina architecture's EFI binaries are built for. */
  public static int machineOf(String architecture) {
    return switch (architecture) {
      case "amd64" -> MACHINE_AMD64;
      case "arm64" -> MACHINE_ARM64;
      default -> throw new IllegalArgumentException("no EFI machine for " + architecture);
    };
  }

  public static String describe(int machine) {
    return switch (machine) {
      case MACHINE_AMD64 -> "amd64 (x86-64)";
      case MACHINE_ARM64 -> "arm64 (AArch64)";
      case 0x14c -> "i386";
      case 0x1c2, 0x1c4 -> "arm";
      case 0x5064 -> "riscv64";
      default -> String.format("machine 0x%04x", machine);
    };
  }

  /** Where the section table ends: new section headers go here. */
  public int sectionTableEnd() {
    return peOffset + 24 + optionalHeaderSize + sections.size() * SECTION_HEADER_SIZE;
  }

  /** The first byte after every section's data. */
  public long rawEnd() {
    return sections.stream().mapToLong(s -> s.rawPointer() + s.rawSize()).max().orElse(0);
  }

  /** The first virtual address after every section. */
  public long virtualEnd() {
    return sections.stream()
        .mapToLong(s -> s.virtualAddress() + Math.max(s.virtualSize(), s.rawSize()))
        .max()
        .orElse(sizeOfHeaders);
  }

  public boolean hasSection(String name) {
    return sections.stream().anyMatch(s -> s.name().equals(name));
  }

  /**
   * Parses the headers at the start of {@code head}; empty when it is not a PE32+ image (no MZ or
   * PE signature, or the headers don't fit in {@code head}).
   */
  public static Optional<PeFile> parse(byte[] head) {
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    if (head.length < 0x40 || b.getShort(0) != 0x5A4D) {
      return Optional.empty();
    }
    int pe = b.getInt(0x3C);
    if (pe < 0x40 || pe > head.length - 24 || b.getInt(pe) != 0x00004550) {
      return Optional.empty();
    }
    int machine = b.getShort(pe + 4) & 0xFFFF;
    int count = b.getShort(pe + 6) & 0xFFFF;
    int optSize = b.getShort(pe + 20) & 0xFFFF;
    int opt = pe + 24;
    if (optSize < 112 || opt + optSize > head.length || (b.getShort(opt) & 0xFFFF) != 0x20B) {
      return Optional.empty();
    }
    int table = opt + optSize;
    if ((long) table + (long) count * SECTION_HEADER_SIZE > head.length) {
      return Optional.empty();
    }
    List<Section> sections = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int s = table + i * SECTION_HEADER_SIZE;
      byte[] name = new byte[8];
      b.get(s, name);
      int len = 0;
      while (len < 8 && name[len] != 0) {
        len++;
      }
      sections.add(
          new Section(
              new String(name, 0, len, StandardCharsets.US_ASCII),
              Integer.toUnsignedLong(b.getInt(s + 8)),
              Integer.toUnsignedLong(b.getInt(s + 12)),
              Integer.toUnsignedLong(b.getInt(s + 16)),
              Integer.toUnsignedLong(b.getInt(s + 20))));
    }
    return Optional.of(
        new PeFile(
            machine,
            b.getShort(opt + 68) & 0xFFFF,
            pe,
            optSize,
            Integer.toUnsignedLong(b.getInt(opt + 32)),
            Integer.toUnsignedLong(b.getInt(opt + 36)),
            Integer.toUnsignedLong(b.getInt(opt + 60)),
            List.copyOf(sections)));
  }

  static long align(long value, long alignment) {
    return alignment <= 1 ? value : (value + alignment - 1) / alignment * alignment;
  }
}

package dev.lamina.disk;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a Unified Kernel Image: the EFI stub's own bytes with section headers added for {@code
 * .osrel}, {@code .cmdline}, {@code .uname}, {@code .initrd} and {@code .linux}, and their contents
 * appended, as the UAPI UKI specification and ukify lay them out (each new section after the last
 * one, virtually and in the file, {@code .linux} last). The stub is the only part held in memory;
 * the kernel and initrd are copied once.
 */
public final class UkiWriter {
  /** IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ, as ukify marks added sections. */
  private static final int DATA_SECTION = 0x40000040;

  /** A section to add. */
  public record Section(String name, Content content) {}

  private final byte[] stub;
  private final PeFile pe;

  /**
   * @param stub the stub's bytes, already checked to be a PE32+ EFI application
   */
  public UkiWriter(byte[] stub, PeFile pe) {
    this.stub = stub.clone();
    this.pe = pe;
  }

  /** The UKI's layout: the stub with the new headers, then each section at its file offset. */
  public ImageLayout layout(List<Section> sections, long timestamp) throws DiskException {
    int tableEnd = pe.sectionTableEnd();
    int needed = tableEnd + sections.size() * PeFile.SECTION_HEADER_SIZE;
    if (needed > pe.sizeOfHeaders()) {
      throw new DiskException(
          DiskException.REASON_BAD_STUB,
          "the EFI stub's headers have no room for "
              + sections.size()
              + " more section headers ("
              + pe.sizeOfHeaders()
              + " bytes of headers, "
              + needed
              + " needed)");
    }
    for (Section s : sections) {
      if (pe.hasSection(s.name())) {
        throw new DiskException(
            DiskException.REASON_BAD_STUB,
            "the EFI stub already has a " + s.name() + " section: it is a UKI, not a stub");
      }
    }
    byte[] head = stub.clone();
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    int coff = pe.peOffset() + 4;
    int opt = pe.peOffset() + 24;
    // Appended after the whole stub, so any data past its last section stays where it was.
    long raw = PeFile.align(stub.length, pe.fileAlignment());
    long virtual = PeFile.align(pe.virtualEnd(), pe.sectionAlignment());
    long initialized = Integer.toUnsignedLong(b.getInt(opt + 8));
    List<ImageLayout.Extent> extents = new ArrayList<>();
    int header = tableEnd;
    for (Section s : sections) {
      long size = s.content().size();
      long rawSize = PeFile.align(size, pe.fileAlignment());
      byte[] name = s.name().getBytes(StandardCharsets.US_ASCII);
      b.put(header, name, 0, Math.min(8, name.length));
      b.putInt(header + 8, (int) size);
      b.putInt(header + 12, (int) virtual);
      b.putInt(header + 16, (int) rawSize);
      b.putInt(header + 20, (int) raw);
      b.putInt(header + 36, DATA_SECTION);
      extents.add(new ImageLayout.Extent(raw, s.content()));
      header += PeFile.SECTION_HEADER_SIZE;
      raw += rawSize;
      virtual = PeFile.align(virtual + size, pe.sectionAlignment());
      initialized += rawSize;
      if (virtual > 0xFFFFFFFFL || raw > 0xFFFFFFFFL) {
        throw new DiskException(
            DiskException.REASON_BAD_KERNEL,
            "the UKI would be larger than a PE file can be (4 GiB)");
      }
    }
    b.putShort(coff + 2, (short) (pe.sections().size() + sections.size()));
    // The PE timestamp: sourceDateEpoch, never the clock.
    b.putInt(coff + 4, (int) timestamp);
    b.putInt(opt + 8, (int) initialized);
    b.putInt(opt + 56, (int) virtual); // SizeOfImage
    // Firmware doesn't check the checksum, and a correct one needs a second pass over the kernel
    // and initrd; zero says "not computed" rather than leaving the stub's, now wrong, value.
    b.putInt(opt + 64, 0);
    extents.add(new ImageLayout.Extent(0, Content.of(head)));
    return new ImageLayout(raw, extents);
  }

  /** Writes the UKI. */
  public void write(List<Section> sections, long timestamp, OutputStream out) throws IOException {
    try (ImageLayout layout = layout(sections, timestamp)) {
      layout.writeTo(out);
    }
  }
}

package dev.lamina.disk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The EFI formats of one architecture: a UKI from the stub, kernel, initrd and command line, and
 * that UKI as the ESP's boot file of a GPT disk (raw or qcow2) or of an El Torito ISO. Inputs are
 * checked first, so bad input fails with one line before anything is written.
 */
public final class EfiImages {
  /** Stubs are about 100 KiB; anything far larger is not one. */
  static final long MAX_STUB = 16L << 20;

  /** arm64's COMMAND_LINE_SIZE, less the terminating NUL; x86 kernels state their own. */
  static final int ARM64_CMDLINE_MAX = 2047;

  private final String arch;
  private final byte[] stub;
  private final PeFile stubPe;
  private final Path kernel;
  private final Path initrd;
  private final byte[] cmdline;
  private final byte[] osRelease;
  private final String uname;
  private final DiskIds ids;
  private final long sourceDateEpoch;

  /**
   * Checks the inputs.
   *
   * @param stubName how to name the stub in messages (layer and path)
   * @param kernelName how to name the kernel in messages
   * @param osRelease the image's os-release, for the .osrel section
   * @throws DiskException naming the input that can't make a UKI
   */
  public EfiImages(
      String arch,
      Path stub,
      String stubName,
      Path kernel,
      String kernelName,
      Path initrd,
      String cmdline,
      byte[] osRelease,
      DiskIds ids,
      long sourceDateEpoch)
      throws IOException {
    this.arch = arch;
    int machine = PeFile.machineOf(arch);
    if (Files.size(stub) > MAX_STUB) {
      throw new DiskException(
          DiskException.REASON_BAD_STUB,
          stubName + " is " + Files.size(stub) + " bytes, not an EFI stub (at most 16 MiB)");
    }
    this.stub = Files.readAllBytes(stub);
    this.stubPe =
        PeFile.parse(this.stub)
            .orElseThrow(
                () ->
                    new DiskException(
                        DiskException.REASON_BAD_STUB, stubName + " is not a PE32+ EFI binary"));
    if (stubPe.machine() != machine) {
      throw new DiskException(
          DiskException.REASON_BAD_STUB,
          stubName
              + " is an EFI stub for "
              + PeFile.describe(stubPe.machine())
              + ", not for "
              + PeFile.describe(machine));
    }
    if (stubPe.subsystem() != PeFile.SUBSYSTEM_EFI_APPLICATION) {
      throw new DiskException(
          DiskException.REASON_BAD_STUB,
          stubName + " is not an EFI application (subsystem " + stubPe.subsystem() + ")");
    }
    byte[] head = head(kernel, 65536);
    PeFile kernelPe =
        PeFile.parse(head)
            .orElseThrow(
                () ->
                    new DiskException(
                        DiskException.REASON_BAD_KERNEL,
                        kernelName
                            + " is not an EFI-stub kernel (no PE header); the EFI formats need a"
                            + " kernel built with CONFIG_EFI_STUB"));
    if (kernelPe.machine() != machine) {
      throw new DiskException(
          DiskException.REASON_BAD_KERNEL,
          kernelName
              + " is an EFI-stub kernel for "
              + PeFile.describe(kernelPe.machine())
              + ", not for "
              + PeFile.describe(machine));
    }
    this.kernel = kernel;
    this.initrd = initrd;
    this.cmdline = cmdline.getBytes(StandardCharsets.UTF_8);
    int max = cmdlineMax(head, arch);
    if (this.cmdline.length > max) {
      throw new DiskException(
          DiskException.REASON_CMDLINE_TOO_LONG,
          "spec.kernel.cmdline is "
              + this.cmdline.length
              + " bytes; the .cmdline section of a UKI holds at most "
              + max
              + " for this "
              + arch
              + " kernel");
    }
    this.osRelease = osRelease.clone();
    this.uname = uname(head);
    this.ids = ids;
    this.sourceDateEpoch = sourceDateEpoch;
  }

  /** The boot file name UEFI firmware looks for on removable media. */
  public String bootFile() {
    return "EFI/BOOT/" + (arch.equals("amd64") ? "BOOTX64.EFI" : "BOOTAA64.EFI");
  }

  public void writeUki(Path out) throws IOException {
    List<UkiWriter.Section> sections = new ArrayList<>();
    sections.add(new UkiWriter.Section(".osrel", Content.of(osRelease)));
    sections.add(new UkiWriter.Section(".cmdline", Content.of(cmdline)));
    if (uname != null) {
      sections.add(
          new UkiWriter.Section(".uname", Content.of(uname.getBytes(StandardCharsets.US_ASCII))));
    }
    sections.add(new UkiWriter.Section(".initrd", Content.file(initrd, Files.size(initrd))));
    sections.add(new UkiWriter.Section(".linux", Content.file(kernel, Files.size(kernel))));
    try (OutputStream o = Files.newOutputStream(out)) {
      new UkiWriter(stub, stubPe).write(sections, sourceDateEpoch, o);
    }
  }

  /** The ESP holding {@code uki} as the boot file, sized to {@code sectors}. */
  private ImageLayout esp(Path uki, long sectors, long hidden) throws IOException {
    List<FatVolume.File> files =
        List.of(new FatVolume.File(bootFile(), Content.file(uki, Files.size(uki))));
    return FatVolume.layout(sectors, files, ids.serial("fat-serial"), hidden, sourceDateEpoch);
  }

  private long espMinimum(Path uki) throws IOException {
    return FatVolume.minimumSectors(
        List.of(new FatVolume.File(bootFile(), Content.file(uki, Files.size(uki)))));
  }

  /**
   * The GPT disk's layout around an ESP holding {@code uki}.
   *
   * @param diskSize spec.disk.size in bytes, or null to size the disk to its content
   */
  public ImageLayout disk(Path uki, Long diskSize) throws IOException {
    long needed = GptDisk.roundUp(espMinimum(uki), GptDisk.ALIGN);
    long diskSectors;
    long espSectors;
    if (diskSize == null) {
      espSectors = needed;
      diskSectors = GptDisk.sectorsFor(espSectors);
    } else {
      diskSectors = diskSize / GptDisk.SECTOR;
      espSectors = GptDisk.partitionSectors(diskSectors);
      long minimum = GptDisk.sectorsFor(needed) * GptDisk.SECTOR;
      if (espSectors < needed) {
        throw new DiskException(
            DiskException.REASON_DISK_TOO_SMALL,
            "the EFI disk needs "
                + minimum
                + " bytes ("
                + (minimum >> 20)
                + " MiB), more than spec.disk.size ("
                + diskSize
                + " bytes)");
      }
      if (espSectors > FatVolume.MAX_SECTORS) {
        throw new DiskException(
            DiskException.REASON_DISK_TOO_SMALL,
            "spec.disk.size is more than the 2 TiB a FAT32 EFI System Partition can span");
      }
    }
    return GptDisk.layout(diskSectors, esp(uki, espSectors, GptDisk.ALIGN), ids);
  }

  public void writeRaw(Path uki, Long diskSize, Path out) throws IOException {
    try (ImageLayout disk = disk(uki, diskSize);
        OutputStream o = Files.newOutputStream(out)) {
      disk.writeTo(o);
    }
  }

  public void writeQcow2(Path uki, Long diskSize, Path out) throws IOException {
    try (ImageLayout disk = disk(uki, diskSize);
        OutputStream o = Files.newOutputStream(out)) {
      Qcow2Writer.write(disk, o);
    }
  }

  /** The ISO embeds the smallest ESP that holds the UKI, whatever spec.disk.size says. */
  public void writeIso(Path uki, Path out) throws IOException {
    long sectors = GptDisk.roundUp(espMinimum(uki), GptDisk.ALIGN);
    try (ImageLayout iso = IsoImage.layout(esp(uki, sectors, 0), sourceDateEpoch);
        OutputStream o = Files.newOutputStream(out)) {
      iso.writeTo(o);
    }
  }

  private static byte[] head(Path file, int n) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(n);
    }
  }

  /** The longest command line the kernel reads: x86's setup header says; arm64's is fixed. */
  static int cmdlineMax(byte[] head, String arch) {
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    if (arch.equals("amd64") && isBzImage(b) && (b.getShort(0x206) & 0xFFFF) >= 0x206) {
      return b.getInt(0x238);
    }
    return ARM64_CMDLINE_MAX;
  }

  /** The kernel release an x86 bzImage names in its header, for the .uname section. */
  static String uname(byte[] head) {
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    if (!isBzImage(b)) {
      return null;
    }
    int at = (b.getShort(0x20E) & 0xFFFF) + 0x200;
    if (at <= 0x200 || at >= head.length) {
      return null;
    }
    int end = at;
    while (end < head.length && head[end] != 0 && head[end] != ' ') {
      end++;
    }
    return end > at ? new String(head, at, end - at, StandardCharsets.US_ASCII) : null;
  }

  private static boolean isBzImage(ByteBuffer b) {
    return b.capacity() > 0x240 && b.getInt(0x202) == 0x53726448; // "HdrS"
  }
}

package dev.lamina.disk;

import static dev.lamina.disk.DiskReaders.le;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EfiImagesTest {
  static final long EPOCH = 1_700_000_000L;
  static final String CMDLINE = "console=ttyS0 lamina.test=efi";
  static final byte[] OS_RELEASE = "NAME=Lamina\nID=lamina\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  Path stub;
  Path kernel;
  Path initrd;

  private EfiImages images(String digest, long epoch) throws IOException {
    if (stub == null) {
      stub = Files.write(dir.resolve("stub"), TestPe.efi(PeFile.MACHINE_AMD64, 0));
      kernel = Files.write(dir.resolve("kernel"), TestPe.bzImage("6.1.0-test-amd64", 2048));
      byte[] random = new byte[300_000];
      new SplittableRandom(7).nextBytes(random);
      initrd = Files.write(dir.resolve("initrd"), random);
    }
    return new EfiImages(
        "amd64",
        stub,
        "stub",
        kernel,
        "kernel",
        initrd,
        CMDLINE,
        OS_RELEASE,
        new DiskIds(digest, "amd64", epoch),
        epoch);
  }

  private byte[] uki(EfiImages efi) throws IOException {
    Path out = dir.resolve("uki-" + System.nanoTime());
    efi.writeUki(out);
    return Files.readAllBytes(out);
  }

  @Test
  void ukiAddsItsSectionsAfterTheStubsAsUkifyDoes() throws IOException {
    byte[] uki = uki(images("sha256:aa", EPOCH));
    PeFile pe = PeFile.parse(uki).orElseThrow();
    assertThat(pe.sections())
        .extracting(PeFile.Section::name)
        .containsExactly(".text", ".osrel", ".cmdline", ".uname", ".initrd", ".linux");
    assertThat(section(uki, pe, ".cmdline")).isEqualTo(CMDLINE.getBytes(StandardCharsets.UTF_8));
    assertThat(section(uki, pe, ".osrel")).isEqualTo(OS_RELEASE);
    assertThat(new String(section(uki, pe, ".uname"), StandardCharsets.US_ASCII))
        .isEqualTo("6.1.0-test-amd64");
    assertThat(section(uki, pe, ".initrd")).isEqualTo(Files.readAllBytes(initrd));
    assertThat(section(uki, pe, ".linux")).isEqualTo(Files.readAllBytes(kernel));
    // The stub's own bytes are unchanged past its headers.
    byte[] stubBytes = Files.readAllBytes(stub);
    assertThat(Arrays.copyOfRange(uki, 0x400, stubBytes.length))
        .isEqualTo(Arrays.copyOfRange(stubBytes, 0x400, stubBytes.length));
    long previousEnd = 0;
    for (PeFile.Section s : pe.sections()) {
      assertThat(s.virtualAddress() % pe.sectionAlignment()).as(s.name()).isZero();
      assertThat(s.rawPointer() % pe.fileAlignment()).as(s.name()).isZero();
      assertThat(s.virtualAddress()).as(s.name()).isGreaterThanOrEqualTo(previousEnd);
      previousEnd = s.virtualAddress() + s.virtualSize();
    }
    int coff = le(uki).getInt(0x3C) + 4;
    assertThat(le(uki).getInt(coff + 4)).as("PE timestamp").isEqualTo((int) EPOCH);
    int opt = coff + 20;
    assertThat(Integer.toUnsignedLong(le(uki).getInt(opt + 56)))
        .as("SizeOfImage")
        .isGreaterThanOrEqualTo(previousEnd);
  }

  private static byte[] section(byte[] file, PeFile pe, String name) {
    PeFile.Section s =
        pe.sections().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    return Arrays.copyOfRange(file, (int) s.rawPointer(), (int) (s.rawPointer() + s.virtualSize()));
  }

  @Test
  void rawDiskIsAGptDiskWhoseEspHoldsTheUkiAsTheBootFile() throws IOException {
    EfiImages efi = images("sha256:aa", EPOCH);
    Path uki = dir.resolve("uki.efi");
    efi.writeUki(uki);
    Path raw = dir.resolve("disk.raw");
    efi.writeRaw(uki, null, raw);
    byte[] disk = Files.readAllBytes(raw);
    assertThat(disk.length % (1 << 20)).isZero();
    byte[] esp = DiskReaders.gptPartition(disk);
    assertThat(DiskReaders.fatFile(esp, "EFI/BOOT/BOOTX64.EFI")).isEqualTo(Files.readAllBytes(uki));
  }

  @Test
  void diskSizeGrowsTheEspAndTooSmallASizeIsRefused() throws IOException {
    EfiImages efi = images("sha256:aa", EPOCH);
    Path uki = dir.resolve("uki.efi");
    efi.writeUki(uki);
    Path raw = dir.resolve("disk.raw");
    efi.writeRaw(uki, 80L << 20, raw);
    byte[] disk = Files.readAllBytes(raw);
    assertThat(disk).hasSize(80 << 20);
    byte[] esp = DiskReaders.gptPartition(disk);
    assertThat(esp.length).isGreaterThan(75 << 20);
    assertThat(DiskReaders.fatFile(esp, "EFI/BOOT/BOOTX64.EFI")).isEqualTo(Files.readAllBytes(uki));

    Path small = dir.resolve("small.raw");
    assertThatThrownBy(() -> efi.writeRaw(uki, 20L << 20, small))
        .isInstanceOf(DiskException.class)
        .hasMessageContaining("more than spec.disk.size (20971520 bytes)")
        .extracting(e -> ((DiskException) e).reason())
        .isEqualTo(DiskException.REASON_DISK_TOO_SMALL);
    assertThat(small).doesNotExist();
  }

  @Test
  void qcow2HoldsTheRawDiskAndIsSmaller() throws IOException {
    EfiImages efi = images("sha256:aa", EPOCH);
    Path uki = dir.resolve("uki.efi");
    efi.writeUki(uki);
    efi.writeRaw(uki, null, dir.resolve("disk.raw"));
    efi.writeQcow2(uki, null, dir.resolve("disk.qcow2"));
    byte[] qcow2 = Files.readAllBytes(dir.resolve("disk.qcow2"));
    byte[] raw = Files.readAllBytes(dir.resolve("disk.raw"));
    assertThat(qcow2.length).isLessThan(raw.length / 4);
    assertThat(DiskReaders.qcow2Guest(qcow2)).isEqualTo(raw);
  }

  @Test
  void isoBootsTheEspThroughElTorito() throws IOException {
    EfiImages efi = images("sha256:aa", EPOCH);
    Path uki = dir.resolve("uki.efi");
    efi.writeUki(uki);
    efi.writeIso(uki, dir.resolve("disk.iso"));
    byte[] iso = Files.readAllBytes(dir.resolve("disk.iso"));
    assertThat(iso.length % 2048).isZero();
    byte[] esp = DiskReaders.elToritoImage(iso);
    assertThat(DiskReaders.fatFile(esp, "EFI/BOOT/BOOTX64.EFI")).isEqualTo(Files.readAllBytes(uki));
    // Dates come from sourceDateEpoch (2023-11-14 22:13:20 UTC).
    assertThat(new String(iso, 16 * 2048 + 813, 16, StandardCharsets.US_ASCII))
        .isEqualTo("2023111422132000");
  }

  @Test
  void sameInputsGiveTheSameBytesAndAnotherDigestOtherIdentifiers() throws IOException {
    List<byte[]> first = all(images("sha256:aa", EPOCH));
    List<byte[]> again = all(images("sha256:aa", EPOCH));
    for (int i = 0; i < first.size(); i++) {
      assertThat(again.get(i)).as("format " + i).isEqualTo(first.get(i));
    }
    List<byte[]> other = all(images("sha256:bb", EPOCH));
    // Same UKI (no identifier in it), another disk GUID and FAT serial.
    assertThat(other.get(0)).isEqualTo(first.get(0));
    assertThat(Arrays.copyOfRange(other.get(1), 512 + 56, 512 + 72))
        .isNotEqualTo(Arrays.copyOfRange(first.get(1), 512 + 56, 512 + 72));
    assertThat(other.get(3)).isNotEqualTo(first.get(3));
    List<byte[]> later = all(images("sha256:aa", EPOCH + 86_400));
    assertThat(later.get(0)).as("PE timestamp").isNotEqualTo(first.get(0));
  }

  private List<byte[]> all(EfiImages efi) throws IOException {
    Path d = Files.createTempDirectory(dir, "all");
    Path uki = d.resolve("uki.efi");
    efi.writeUki(uki);
    efi.writeRaw(uki, null, d.resolve("raw"));
    efi.writeQcow2(uki, null, d.resolve("qcow2"));
    efi.writeIso(uki, d.resolve("iso"));
    return List.of(
        Files.readAllBytes(uki),
        Files.readAllBytes(d.resolve("raw")),
        Files.readAllBytes(d.resolve("qcow2")),
        Files.readAllBytes(d.resolve("iso")));
  }

  @Test
  void badInputIsRefusedWithOneLineNamingIt() throws IOException {
    images("sha256:aa", EPOCH);
    Path notPe = Files.writeString(dir.resolve("text"), "#!/bin/sh\n");
    Path armStub = Files.write(dir.resolve("armstub"), TestPe.efi(PeFile.MACHINE_ARM64, 0));
    DiskIds ids = new DiskIds("sha256:aa", "amd64", 0);
    assertRefused(
        () ->
            new EfiImages(
                "amd64", notPe, "EFI stub \"s\"", kernel, "k", initrd, "", OS_RELEASE, ids, 0),
        DiskException.REASON_BAD_STUB,
        "EFI stub \"s\" is not a PE32+ EFI binary");
    assertRefused(
        () ->
            new EfiImages(
                "amd64", armStub, "EFI stub \"s\"", kernel, "k", initrd, "", OS_RELEASE, ids, 0),
        DiskException.REASON_BAD_STUB,
        "EFI stub \"s\" is an EFI stub for arm64 (AArch64), not for amd64 (x86-64)");
    assertRefused(
        () ->
            new EfiImages(
                "amd64", stub, "s", notPe, "kernel \"k\"", initrd, "", OS_RELEASE, ids, 0),
        DiskException.REASON_BAD_KERNEL,
        "kernel \"k\" is not an EFI-stub kernel (no PE header)");
    assertRefused(
        () ->
            new EfiImages(
                "arm64", armStub, "s", kernel, "kernel \"k\"", initrd, "", OS_RELEASE, ids, 0),
        DiskException.REASON_BAD_KERNEL,
        "kernel \"k\" is an EFI-stub kernel for amd64 (x86-64), not for arm64 (AArch64)");
    String longLine = "x".repeat(2049);
    assertRefused(
        () -> new EfiImages("amd64", stub, "s", kernel, "k", initrd, longLine, OS_RELEASE, ids, 0),
        DiskException.REASON_CMDLINE_TOO_LONG,
        "spec.kernel.cmdline is 2049 bytes; the .cmdline section of a UKI holds at most 2048");
  }

  interface Call {
    void run() throws IOException;
  }

  private static void assertRefused(Call call, String reason, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOf(DiskException.class)
        .hasMessageStartingWith(message)
        .hasMessageNotContaining("\n")
        .extracting(e -> ((DiskException) e).reason())
        .isEqualTo(reason);
  }
}

package dev.lamina.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots under UEFI firmware (Debian's OVMF for amd64, AAVMF for arm64) from a disk, a CD-ROM or a
 * directory that qemu presents as a FAT drive, and captures the serial console.
 */
public final class UefiBoot {
  /** How the image reaches the firmware. */
  public enum Media {
    /** A raw or qcow2 disk on virtio-blk. */
    DISK,
    /** An ISO as a SCSI CD-ROM. */
    CDROM,
    /** A directory holding EFI/BOOT/BOOT*.EFI, as qemu's virtual FAT drive (read-only). */
    ESP_DIRECTORY
  }

  private UefiBoot() {}

  /**
   * Boots {@code image} and waits up to {@code timeout} for {@code marker}.
   *
   * @param format for {@link Media#DISK}: raw or qcow2
   * @param work where the firmware's writable variable store is copied
   */
  public static QemuBoot.Result boot(
      String arch,
      Media media,
      Path image,
      String format,
      Path work,
      Path consoleLog,
      String marker,
      Duration timeout)
      throws IOException {
    List<String> command = new ArrayList<>();
    Path vars = Files.createTempFile(work, "efivars-" + arch, ".fd");
    switch (arch) {
      case "amd64" -> {
        Files.copy(
            Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), vars, StandardCopyOption.REPLACE_EXISTING);
        command.addAll(List.of("qemu-system-x86_64", "-M", "pc"));
        command.addAll(flash("/usr/share/OVMF/OVMF_CODE_4M.fd", vars));
      }
      case "arm64" -> {
        Files.copy(
            Path.of("/usr/share/AAVMF/AAVMF_VARS.fd"), vars, StandardCopyOption.REPLACE_EXISTING);
        command.addAll(List.of("qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57"));
        command.addAll(flash("/usr/share/AAVMF/AAVMF_CODE.fd", vars));
      }
      default -> throw new IllegalArgumentException("no UEFI firmware for " + arch);
    }
    command.addAll(
        List.of("-m", "512", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio"));
    switch (media) {
      // snapshot=on: the firmware and the kernel never write to the artifact under test.
      case DISK ->
          command.addAll(
              List.of("-drive", "if=virtio,snapshot=on,format=" + format + ",file=" + image));
      case CDROM ->
          command.addAll(
              List.of(
                  "-device",
                  "virtio-scsi-pci",
                  "-drive",
                  "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=" + image,
                  "-device",
                  "scsi-cd,drive=cd"));
      case ESP_DIRECTORY ->
          command.addAll(List.of("-drive", "if=virtio,snapshot=on,format=raw,file=fat:" + image));
    }
    try {
      return QemuBoot.run(arch, command, consoleLog, marker, timeout);
    } finally {
      Files.deleteIfExists(vars);
    }
  }

  private static List<String> flash(String code, Path vars) {
    return List.of(
        "-drive",
        "if=pflash,format=raw,readonly=on,file=" + code,
        "-drive",
        "if=pflash,format=raw,file=" + vars);
  }
}

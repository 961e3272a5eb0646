package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** An artifact format an OSImage can be built into. */
public enum OutputFormat {
  @JsonProperty("kernel+initrd")
  KERNEL_INITRD("kernel+initrd"),
  @JsonProperty("rootfs-tar")
  ROOTFS_TAR("rootfs-tar"),
  /** A Unified Kernel Image: the EFI stub of spec.uki.stub with kernel, initrd and cmdline. */
  @JsonProperty("uki")
  UKI("uki"),
  /** A GPT disk whose EFI System Partition boots the UKI. */
  @JsonProperty("raw-efi")
  RAW_EFI("raw-efi"),
  /** The raw-efi disk as a qcow2 file. */
  @JsonProperty("qcow2-efi")
  QCOW2_EFI("qcow2-efi"),
  /** An ISO 9660 image whose El Torito EFI entry boots the UKI from an embedded ESP. */
  @JsonProperty("iso-efi")
  ISO_EFI("iso-efi");

  private final String value;

  OutputFormat(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  /** Whether this format is built from a UKI, and so needs an EFI stub and a kernel. */
  public boolean efi() {
    return this == UKI || this == RAW_EFI || this == QCOW2_EFI || this == ISO_EFI;
  }
}

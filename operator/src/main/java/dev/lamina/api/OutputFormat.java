package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** An artifact format an OSImage can be built into. */
public enum OutputFormat {
  @JsonProperty("kernel+initrd")
  KERNEL_INITRD("kernel+initrd"),
  @JsonProperty("rootfs-tar")
  ROOTFS_TAR("rootfs-tar");

  private final String value;

  OutputFormat(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }
}

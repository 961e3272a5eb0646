package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** The disk of the raw-efi and qcow2-efi formats. */
public class DiskSpec {
  @JsonPropertyDescription(
      "Size of the disk, a quantity such as 512Mi; the EFI System Partition fills it. Default: the smallest disk that holds the UKI (at least 35 MiB, FAT32's minimum). A build whose image needs more fails with reason DiskTooSmall.")
  @Pattern("^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$")
  private String size;

  public String getSize() {
    return size;
  }

  public void setSize(String size) {
    this.size = size;
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * What one build may unpack, so that a hostile layer cannot fill a node's disk or memory. The
 * operator's own maximums (--max-uncompressed-bytes, --max-entries) lower any value above them.
 */
public class BuildLimits {
  @JsonPropertyDescription(
      "Bytes of file contents one build may unpack over all its layers, e.g. 8Gi; default 4Gi.")
  @ValidationRule(
      value =
          "type(self) == int ? self > 0"
              + " : string(self).matches('^[1-9][0-9]{0,15}(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$')",
      message = "must be a positive size in bytes such as 8Gi, 512Mi or 1000000000")
  private Quantity maxUncompressedBytes;

  @JsonPropertyDescription("Tar entries one build may read over all its layers; default 300000.")
  @Min(1)
  @Max(100000000)
  private Long maxEntries;

  public Quantity getMaxUncompressedBytes() {
    return maxUncompressedBytes;
  }

  public void setMaxUncompressedBytes(Quantity maxUncompressedBytes) {
    this.maxUncompressedBytes = maxUncompressedBytes;
  }

  public Long getMaxEntries() {
    return maxEntries;
  }

  public void setMaxEntries(Long maxEntries) {
    this.maxEntries = maxEntries;
  }
}

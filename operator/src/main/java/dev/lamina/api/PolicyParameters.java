package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Parameters of the built-in policy rules. */
public class PolicyParameters {
  @JsonPropertyDescription("Registries (host[:port]) layer images may come from; empty allows any.")
  @Size(max = 100)
  private List<String> allowedRegistries;

  @JsonPropertyDescription("Repository prefixes that OSImages may push to; empty allows any.")
  @Size(max = 100)
  private List<String> allowedOutputRepositories;

  @JsonPropertyDescription(
      "Kernel command-line parameters that are forbidden; default init=/bin/sh, rd.break, single, systemd.debug-shell.")
  @Size(max = 100)
  private List<String> forbiddenCmdline;

  @JsonPropertyDescription(
      "Upper bound on the compressed size of all layers of one architecture, in bytes.")
  @Min(0)
  private Long maxLayerBytes;

  public List<String> getAllowedRegistries() {
    return allowedRegistries;
  }

  public void setAllowedRegistries(List<String> allowedRegistries) {
    this.allowedRegistries = allowedRegistries;
  }

  public List<String> getAllowedOutputRepositories() {
    return allowedOutputRepositories;
  }

  public void setAllowedOutputRepositories(List<String> allowedOutputRepositories) {
    this.allowedOutputRepositories = allowedOutputRepositories;
  }

  public List<String> getForbiddenCmdline() {
    return forbiddenCmdline;
  }

  public void setForbiddenCmdline(List<String> forbiddenCmdline) {
    this.forbiddenCmdline = forbiddenCmdline;
  }

  public Long getMaxLayerBytes() {
    return maxLayerBytes;
  }

  public void setMaxLayerBytes(Long maxLayerBytes) {
    this.maxLayerBytes = maxLayerBytes;
  }
}

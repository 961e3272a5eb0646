package dev.lamina.api;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Parameters of the built-in policy rules. */
public class PolicyParameters {
  /** Registries (host[:port]) layer images may come from; empty allows any. */
  @Size(max = 100)
  private List<String> allowedRegistries;

  /** Repository prefixes that OSImages may push to; empty allows any. */
  @Size(max = 100)
  private List<String> allowedOutputRepositories;

  /**
   * Kernel command-line parameters that are forbidden; default init=/bin/sh, rd.break, single,
   * systemd.debug-shell.
   */
  @Size(max = 100)
  private List<String> forbiddenCmdline;

  /** Upper bound on the compressed size of all layers of one architecture, in bytes. */
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

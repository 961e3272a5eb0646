package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** How an OSImage's build pods run. */
public class BuildSpec {
  @JsonPropertyDescription("Attempts after the first failed one, per architecture; default 2.")
  @Min(0)
  @Max(10)
  private Integer retries;

  @JsonPropertyDescription("Seconds a build pod may run before it is stopped; default 1800.")
  @Min(30)
  @Max(86400)
  private Long activeDeadlineSeconds;

  @JsonPropertyDescription("What one build may unpack: bytes of file contents and tar entries.")
  private BuildLimits limits;

  public BuildLimits getLimits() {
    return limits;
  }

  public void setLimits(BuildLimits limits) {
    this.limits = limits;
  }

  @JsonPropertyDescription(
      "Memory limit of a build pod, as a Kubernetes quantity (e.g. 2Gi); by default derived from limits. A build that passes it is killed and the OSImage fails with reason OOMKilled.")
  @Pattern("^[1-9][0-9]{0,5}(Mi|Gi)$")
  private String memoryLimit;

  public Integer getRetries() {
    return retries;
  }

  public void setRetries(Integer retries) {
    this.retries = retries;
  }

  public int effectiveRetries() {
    return retries == null ? 2 : retries;
  }

  public Long getActiveDeadlineSeconds() {
    return activeDeadlineSeconds;
  }

  public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
    this.activeDeadlineSeconds = activeDeadlineSeconds;
  }

  public long effectiveActiveDeadlineSeconds() {
    return activeDeadlineSeconds == null ? 1800L : activeDeadlineSeconds;
  }

  public String getMemoryLimit() {
    return memoryLimit;
  }

  public void setMemoryLimit(String memoryLimit) {
    this.memoryLimit = memoryLimit;
  }
}

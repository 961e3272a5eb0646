package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What a Layer's reference resolved to, and whether it is usable. */
public class LayerStatus {
  @JsonPropertyDescription("Generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Conditions: Ready, PolicyPassed.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription(
      "The index digest when the reference resolved through an index, else the manifest digest.")
  private String digest;

  @JsonPropertyDescription("Digest of the image index the reference resolved through, if any.")
  private String indexDigest;

  @JsonPropertyDescription("Manifest digest and size for each requested platform.")
  private List<PlatformDigest> platforms = new ArrayList<>();

  @JsonPropertyDescription("When the reference was last resolved against its registry (RFC 3339).")
  private String resolvedAt;

  @JsonPropertyDescription("Policy verdict and results for this Layer on its own.")
  private PolicyStatus policy;

  @JsonPropertyDescription(
      "The cosign signatures of the resolved digest, as checked against spec.trust keys.")
  private LayerSignature signature;

  public LayerSignature getSignature() {
    return signature;
  }

  public void setSignature(LayerSignature signature) {
    this.signature = signature;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public String getIndexDigest() {
    return indexDigest;
  }

  public void setIndexDigest(String indexDigest) {
    this.indexDigest = indexDigest;
  }

  public List<PlatformDigest> getPlatforms() {
    return platforms;
  }

  public void setPlatforms(List<PlatformDigest> platforms) {
    this.platforms = platforms;
  }

  public String getResolvedAt() {
    return resolvedAt;
  }

  public void setResolvedAt(String resolvedAt) {
    this.resolvedAt = resolvedAt;
  }

  public PolicyStatus getPolicy() {
    return policy;
  }

  public void setPolicy(PolicyStatus policy) {
    this.policy = policy;
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** What an OSImage was built into, and how its builds went. */
public class OSImageStatus {
  @JsonPropertyDescription("Generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Conditions: Ready, PolicyPassed, Scheduled.")
  private List<Condition> conditions = new java.util.ArrayList<>();

  @JsonPropertyDescription(
      "Where the image is in its life: Pending, Blocked, Building, Ready or Failed.")
  private Phase phase;

  @JsonPropertyDescription(
      "sha256 of the canonical spec, the resolved layer digests and the output-format version.")
  private String inputDigest;

  @JsonPropertyDescription("Digest of the multi-architecture image index in the registry.")
  private String digest;

  @JsonPropertyDescription("Repository the index was pushed to.")
  private String repository;

  @JsonPropertyDescription("Per-architecture artifacts and build state.")
  private List<ArchitectureStatus> architectures = new java.util.ArrayList<>();

  @JsonPropertyDescription("Policy verdict and results.")
  private PolicyStatus policy;

  @JsonPropertyDescription("A sentence on the current phase.")
  private String message;

  @JsonPropertyDescription(
      "The architectures of spec.architectures, comma-separated (kubectl's ARCHITECTURES column).")
  private String architectureList;

  @JsonPropertyDescription(
      "Fingerprint (sha256 of the public key) of the key the pushed index and manifests carry.")
  private String signingKey;

  public String getSigningKey() {
    return signingKey;
  }

  public void setSigningKey(String signingKey) {
    this.signingKey = signingKey;
  }

  @JsonPropertyDescription(
      "The digest each Layer resolved to for inputDigest, by Layer name: what a moved tag changed.")
  private java.util.Map<String, String> layerDigests;

  @JsonPropertyDescription("The lamina.dev/rebuild annotation value last acted on.")
  private String rebuild;

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

  public Phase getPhase() {
    return phase;
  }

  public void setPhase(Phase phase) {
    this.phase = phase;
  }

  public String getArchitectureList() {
    return architectureList;
  }

  public void setArchitectureList(String architectureList) {
    this.architectureList = architectureList;
  }

  /**
   * The value of {@link #getArchitectureList()} for a spec: a printer column shows a list as JSON,
   * and only the first element of a wildcard path.
   */
  public static String architectureList(OSImageSpec spec) {
    return spec == null || spec.getArchitectures() == null
        ? null
        : spec.getArchitectures().stream()
            .map(Enum::name)
            .collect(java.util.stream.Collectors.joining(","));
  }

  public String getInputDigest() {
    return inputDigest;
  }

  public void setInputDigest(String inputDigest) {
    this.inputDigest = inputDigest;
  }

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public String getRepository() {
    return repository;
  }

  public void setRepository(String repository) {
    this.repository = repository;
  }

  public List<ArchitectureStatus> getArchitectures() {
    return architectures;
  }

  public void setArchitectures(List<ArchitectureStatus> architectures) {
    this.architectures = architectures;
  }

  public PolicyStatus getPolicy() {
    return policy;
  }

  public void setPolicy(PolicyStatus policy) {
    this.policy = policy;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public java.util.Map<String, String> getLayerDigests() {
    return layerDigests;
  }

  public void setLayerDigests(java.util.Map<String, String> layerDigests) {
    this.layerDigests = layerDigests;
  }

  public String getRebuild() {
    return rebuild;
  }

  public void setRebuild(String rebuild) {
    this.rebuild = rebuild;
  }
}

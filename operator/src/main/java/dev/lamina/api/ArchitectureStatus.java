package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** Build state and artifacts of one architecture. */
public class ArchitectureStatus {
  @JsonPropertyDescription("Architecture, as amd64 or arm64.")
  private String architecture;

  @JsonPropertyDescription("Queued, Pending, Running, Succeeded or Failed.")
  private BuildState state;

  @JsonPropertyDescription("Name of the current or last build pod.")
  private String pod;

  @JsonPropertyDescription("Build attempts made for the current input digest.")
  private Integer attempts;

  @JsonPropertyDescription(
      "CamelCase reason of the last failure, or of what holds the pod back (e.g. OOMKilled).")
  private String reason;

  @JsonPropertyDescription(
      "The attempt that spec.build.retries counts from: 1, or the first attempt after a"
          + " lamina.dev/rebuild request, which gives a Failed build its retries again.")
  private Integer firstAttempt;

  @JsonPropertyDescription("Why the last attempt failed, or what it is waiting for.")
  private String message;

  @JsonPropertyDescription("When the next attempt may start after a failure (RFC 3339).")
  private String nextAttemptAt;

  @JsonPropertyDescription("Digest of this architecture's OCI image manifest.")
  private String manifestDigest;

  @JsonPropertyDescription("Each artifact: name, media type, digest and size.")
  private List<Artifact> artifacts;

  @JsonPropertyDescription(
      "Paths that two init layers both write (at most 10 listed; policy rule LMN008).")
  private List<Overlap> overlaps;

  @JsonPropertyDescription(
      "How many paths two init layers both write; unset until the build reports it.")
  private Integer overlapCount;

  @JsonPropertyDescription(
      "Digest of the SPDX SBOM (sbom.spdx.json), pushed as an OCI referrer of the manifest.")
  private String sbomDigest;

  public String getSbomDigest() {
    return sbomDigest;
  }

  public void setSbomDigest(String sbomDigest) {
    this.sbomDigest = sbomDigest;
  }

  @JsonPropertyDescription(
      "The Java os.arch the build pod reported (amd64, aarch64): what the node really ran.")
  private String nodeArchitecture;

  public String getNodeArchitecture() {
    return nodeArchitecture;
  }

  public void setNodeArchitecture(String nodeArchitecture) {
    this.nodeArchitecture = nodeArchitecture;
  }

  public String getArchitecture() {
    return architecture;
  }

  public void setArchitecture(String architecture) {
    this.architecture = architecture;
  }

  public BuildState getState() {
    return state;
  }

  public void setState(BuildState state) {
    this.state = state;
  }

  public String getPod() {
    return pod;
  }

  public void setPod(String pod) {
    this.pod = pod;
  }

  public Integer getAttempts() {
    return attempts;
  }

  public void setAttempts(Integer attempts) {
    this.attempts = attempts;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getNextAttemptAt() {
    return nextAttemptAt;
  }

  public void setNextAttemptAt(String nextAttemptAt) {
    this.nextAttemptAt = nextAttemptAt;
  }

  public String getManifestDigest() {
    return manifestDigest;
  }

  public void setManifestDigest(String manifestDigest) {
    this.manifestDigest = manifestDigest;
  }

  public List<Artifact> getArtifacts() {
    return artifacts;
  }

  public void setArtifacts(List<Artifact> artifacts) {
    this.artifacts = artifacts;
  }

  public List<Overlap> getOverlaps() {
    return overlaps;
  }

  public void setOverlaps(List<Overlap> overlaps) {
    this.overlaps = overlaps;
  }

  public Integer getOverlapCount() {
    return overlapCount;
  }

  public void setOverlapCount(Integer overlapCount) {
    this.overlapCount = overlapCount;
  }

  public Integer getFirstAttempt() {
    return firstAttempt;
  }

  public void setFirstAttempt(Integer firstAttempt) {
    this.firstAttempt = firstAttempt;
  }
}

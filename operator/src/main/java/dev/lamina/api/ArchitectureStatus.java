package dev.lamina.api;

import java.util.List;

/** Build state and artifacts of one architecture. */
public class ArchitectureStatus {
  /** Architecture, as amd64 or arm64. */
  private String architecture;

  /** Pending, Running, Succeeded or Failed. */
  private String state;

  /** Name of the current or last build pod. */
  private String pod;

  /** Build attempts made for the current input digest. */
  private Integer attempts;

  /** Why the last attempt failed, or what it is waiting for. */
  private String message;

  /** When the next attempt may start after a failure (RFC 3339). */
  private String nextAttemptAt;

  /** Digest of this architecture's OCI image manifest. */
  private String manifestDigest;

  /** Each artifact: name, media type, digest and size. */
  private List<Artifact> artifacts;

  /** Paths that two init layers both write (at most 10 listed; policy rule LMN008). */
  private List<Overlap> overlaps;

  /** How many paths two init layers both write; unset until the build reports it. */
  private Integer overlapCount;

  /** Digest of the SPDX SBOM (sbom.spdx.json), pushed as an OCI referrer of the manifest. */
  private String sbomDigest;

  public String getSbomDigest() {
    return sbomDigest;
  }

  public void setSbomDigest(String sbomDigest) {
    this.sbomDigest = sbomDigest;
  }

  /** The Java os.arch the build pod reported (amd64, aarch64): what the node really ran. */
  private String nodeArchitecture;

  public String getNodeArchitecture() {
    return nodeArchitecture;
  }

  public void setNodeArchitecture(String nodeArchitecture) {
    this.nodeArchitecture = nodeArchitecture;
  }

  /** A path that two init layers both write; the upper layer's copy is the one in the image. */
  public static class Overlap {
    /** Path inside the image. */
    private String path;

    /** Init layer whose copy is overwritten. */
    private String lower;

    /** Init layer whose copy wins. */
    private String upper;

    public Overlap() {}

    public Overlap(String path, String lower, String upper) {
      this.path = path;
      this.lower = lower;
      this.upper = upper;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public String getLower() {
      return lower;
    }

    public void setLower(String lower) {
      this.lower = lower;
    }

    public String getUpper() {
      return upper;
    }

    public void setUpper(String upper) {
      this.upper = upper;
    }
  }

  public String getArchitecture() {
    return architecture;
  }

  public void setArchitecture(String architecture) {
    this.architecture = architecture;
  }

  public String getState() {
    return state;
  }

  public void setState(String state) {
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
}

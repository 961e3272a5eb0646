package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One artifact blob in a per-architecture manifest. */
public class Artifact {
  @JsonPropertyDescription("File name (org.opencontainers.image.title).")
  private String name;

  @JsonPropertyDescription("Media type of the blob.")
  private String mediaType;

  @JsonPropertyDescription("Digest of the blob.")
  private String digest;

  @JsonPropertyDescription("Size of the blob in bytes.")
  private Long size;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getMediaType() {
    return mediaType;
  }

  public void setMediaType(String mediaType) {
    this.mediaType = mediaType;
  }

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public Long getSize() {
    return size;
  }

  public void setSize(Long size) {
    this.size = size;
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The image manifest a Layer resolved to for one platform. */
public class PlatformDigest {
  @JsonPropertyDescription("Platform as os/arch[/variant].")
  private String platform;

  @JsonPropertyDescription("Digest of the platform's image manifest.")
  private String digest;

  @JsonPropertyDescription("Size of the manifest in bytes.")
  private Long size;

  @JsonPropertyDescription("Sum of the compressed sizes of the manifest's layers, in bytes.")
  private Long layersSize;

  public PlatformDigest() {}

  public PlatformDigest(String platform, String digest, Long size, Long layersSize) {
    this.platform = platform;
    this.digest = digest;
    this.size = size;
    this.layersSize = layersSize;
  }

  public String getPlatform() {
    return platform;
  }

  public void setPlatform(String platform) {
    this.platform = platform;
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

  public Long getLayersSize() {
    return layersSize;
  }

  public void setLayersSize(Long layersSize) {
    this.layersSize = layersSize;
  }
}

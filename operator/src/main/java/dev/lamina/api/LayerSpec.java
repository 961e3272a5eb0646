package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Where a Layer's image is and which platforms of it are used. */
public class LayerSpec {
  @JsonPropertyDescription(
      "OCI reference of the image: registry/name with a tag and/or sha256 digest, or oci:DIR:TAG.")
  @Required
  @Pattern(Lamina.IMAGE_REFERENCE)
  @Size(max = 1024)
  private String image;

  @JsonPropertyDescription(
      "Platforms to resolve, as os/arch[/variant]; default linux/amd64 and linux/arm64.")
  @Size(min = 1, max = 8)
  @ValidationRule(
      value = "self.all(p, p.matches('^linux/(amd64|arm64)(/v[0-9]+)?$'))",
      message = "each platform must be linux/amd64 or linux/arm64, with an optional variant")
  @ValidationRule(
      value = "self.all(p, self.exists_one(q, q == p))",
      message = "platforms must be unique")
  private List<@Size(max = 64) String> platforms;

  @JsonPropertyDescription(
      "Name of a kubernetes.io/dockerconfigjson Secret in this namespace used to pull the image.")
  @Size(max = 253)
  private String pullSecret;

  @JsonPropertyDescription(
      "* Follow (default): a tag is resolved again periodically and OSImages follow where it moves. Pin: the first resolution is kept until this spec changes.")
  private UpdatePolicy updatePolicy;

  public LayerSpec() {}

  public LayerSpec(String image) {
    this.image = image;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public List<String> getPlatforms() {
    return platforms;
  }

  public void setPlatforms(List<String> platforms) {
    this.platforms = platforms;
  }

  /** The platforms asked for, or the default pair. */
  public List<String> effectivePlatforms() {
    return platforms == null || platforms.isEmpty()
        ? List.of("linux/amd64", "linux/arm64")
        : platforms;
  }

  public UpdatePolicy getUpdatePolicy() {
    return updatePolicy;
  }

  public void setUpdatePolicy(UpdatePolicy updatePolicy) {
    this.updatePolicy = updatePolicy;
  }

  public String getPullSecret() {
    return pullSecret;
  }

  public void setPullSecret(String pullSecret) {
    this.pullSecret = pullSecret;
  }
}

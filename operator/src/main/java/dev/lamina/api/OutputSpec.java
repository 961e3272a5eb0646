package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where an OSImage's artifacts are pushed. */
public class OutputSpec {
  @JsonPropertyDescription("Repository to push to, as registry/name, without a tag or digest.")
  @Required
  @Size(max = 1024)
  @ValidationRule(
      value = "!self.contains('@') && !self.matches(':[^/]*$')",
      message = "repository must not carry a tag or digest; set output.tag instead")
  @Pattern(Lamina.REPOSITORY_REFERENCE)
  private String repository;

  @JsonPropertyDescription("Tag given to the image index in addition to its content-addressed tag.")
  @Pattern("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
  private String tag;

  @JsonPropertyDescription(
      "Name of a kubernetes.io/dockerconfigjson Secret in this namespace used to push.")
  @Size(max = 253)
  private String pushSecret;

  @JsonPropertyDescription(
      "Sign the index and each manifest, and attach SLSA provenance, with a key from a Secret.")
  private SigningSpec signing;

  public SigningSpec getSigning() {
    return signing;
  }

  public void setSigning(SigningSpec signing) {
    this.signing = signing;
  }

  public String getRepository() {
    return repository;
  }

  public void setRepository(String repository) {
    this.repository = repository;
  }

  public String getTag() {
    return tag;
  }

  public void setTag(String tag) {
    this.tag = tag;
  }

  public String getPushSecret() {
    return pushSecret;
  }

  public void setPushSecret(String pushSecret) {
    this.pushSecret = pushSecret;
  }
}

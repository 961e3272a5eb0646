package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The cosign signatures found for the digest a Layer resolved to. */
public class LayerSignature {
  @JsonPropertyDescription("The digest whose signatures were checked (the Layer's status.digest).")
  private String digest;

  @JsonPropertyDescription("Unsigned, Signed, Verified or Untrusted.")
  private SignatureState state;

  @JsonPropertyDescription(
      "ImagePolicies whose spec.trust keys verified a signature of the digest.")
  private List<String> verifiedBy;

  @JsonPropertyDescription(
      "ImagePolicies whose spec.trust selects the Layer but whose keys verified no signature.")
  private List<String> untrustedBy;

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public SignatureState getState() {
    return state;
  }

  public void setState(SignatureState state) {
    this.state = state;
  }

  public List<String> getVerifiedBy() {
    return verifiedBy;
  }

  public void setVerifiedBy(List<String> verifiedBy) {
    this.verifiedBy = verifiedBy;
  }

  public List<String> getUntrustedBy() {
    return untrustedBy;
  }

  public void setUntrustedBy(List<String> untrustedBy) {
    this.untrustedBy = untrustedBy;
  }
}

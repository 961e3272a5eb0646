package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** How the operator signs what it pushes: cosign signatures and SLSA provenance. */
public class SigningSpec {
  @JsonPropertyDescription(
      "* Name of a Secret in this namespace with an ECDSA P-256 key pair in PEM: key.pem (unencrypted PKCS#8 private key) and key.pub (its public key, as cosign verify --key reads it).")
  @Required
  @Size(max = 253)
  private String keySecret;

  public String getKeySecret() {
    return keySecret;
  }

  public void setKeySecret(String keySecret) {
    this.keySecret = keySecret;
  }
}

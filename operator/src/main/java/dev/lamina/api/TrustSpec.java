package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;

/**
 * Keys that Layers must be signed by (cosign signatures of the digest they resolve to). A Layer
 * this selects whose digest has no signature by one of these keys is not Ready, and its OSImages
 * are blocked (rule LMN014).
 */
public class TrustSpec {
  @JsonPropertyDescription(
      "Labels of the Layers that must be signed; empty selects every Layer the policy applies to.")
  private LabelSelector layerSelector;

  @JsonPropertyDescription("Public keys in PEM (BEGIN PUBLIC KEY blocks, as in cosign.pub).")
  @Size(max = 20)
  private List<String> publicKeys;

  @JsonPropertyDescription(
      "ConfigMaps holding more public keys: every value of each is PEM with PUBLIC KEY blocks.")
  @Size(max = 20)
  private List<KeyConfigMap> publicKeysFrom;

  /** A ConfigMap of public keys. */
  public static class KeyConfigMap {
    @JsonPropertyDescription("Namespace of the ConfigMap.")
    @io.fabric8.generator.annotation.Required
    private String namespace;

    @JsonPropertyDescription("Name of the ConfigMap.")
    @io.fabric8.generator.annotation.Required
    private String name;

    public String getNamespace() {
      return namespace;
    }

    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }
  }

  public LabelSelector getLayerSelector() {
    return layerSelector;
  }

  public void setLayerSelector(LabelSelector layerSelector) {
    this.layerSelector = layerSelector;
  }

  public List<String> getPublicKeys() {
    return publicKeys;
  }

  public void setPublicKeys(List<String> publicKeys) {
    this.publicKeys = publicKeys;
  }

  public List<KeyConfigMap> getPublicKeysFrom() {
    return publicKeysFrom;
  }

  public void setPublicKeysFrom(List<KeyConfigMap> publicKeysFrom) {
    this.publicKeysFrom = publicKeysFrom;
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.LayerSignature;
import dev.lamina.api.TrustSpec;
import dev.lamina.oci.OciRepository;
import dev.lamina.supply.SignatureCheck;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the cosign signatures of the digest a Layer resolved to against the keys of each
 * ImagePolicy whose spec.trust selects it, reading keys from ConfigMaps too.
 */
final class LayerTrust {
  private static final Logger LOG = LoggerFactory.getLogger(LayerTrust.class);
  private final KubernetesClient client;

  LayerTrust(KubernetesClient client) {
    this.client = client;
  }

  LayerSignature check(OciRepository repo, String digest, List<ImagePolicy> trusting)
      throws IOException {
    Map<String, List<PublicKey>> keys = new TreeMap<>();
    for (ImagePolicy p : trusting) {
      keys.put(p.getMetadata().getName(), keys(p));
    }
    return SignatureCheck.check(repo, digest, keys);
  }

  /** The policy's keys, inline and from ConfigMaps; a key that does not parse is left out. */
  private List<PublicKey> keys(ImagePolicy policy) {
    TrustSpec trust = policy.getSpec().getTrust();
    List<String> pems = new ArrayList<>();
    if (trust.getPublicKeys() != null) {
      pems.addAll(trust.getPublicKeys());
    }
    if (trust.getPublicKeysFrom() != null) {
      for (TrustSpec.KeyConfigMap ref : trust.getPublicKeysFrom()) {
        ConfigMap cm =
            client.configMaps().inNamespace(ref.getNamespace()).withName(ref.getName()).get();
        if (cm == null || cm.getData() == null) {
          LOG.warn(
              "ImagePolicy {}: ConfigMap {}/{} of public keys does not exist",
              policy.getMetadata().getName(),
              ref.getNamespace(),
              ref.getName());
          continue;
        }
        pems.addAll(new TreeMap<>(cm.getData()).values());
      }
    }
    List<PublicKey> keys = new ArrayList<>();
    for (String pem : pems) {
      try {
        keys.addAll(SigningKeys.publicKeys(pem, "ImagePolicy " + policy.getMetadata().getName()));
      } catch (SupplyException e) {
        LOG.warn("{}", e.getMessage());
      }
    }
    return keys;
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.LayerSignature;
import dev.lamina.api.SignatureState;
import dev.lamina.api.TrustSpec;
import dev.lamina.oci.OciRepository;
import dev.lamina.supply.CosignArtifacts;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the cosign signatures of the digest a Layer resolved to against the keys of each
 * ImagePolicy whose spec.trust selects it. Each policy counts on its own: a signature by one
 * policy's key does not satisfy another's.
 */
final class LayerTrust {
  private static final Logger LOG = LoggerFactory.getLogger(LayerTrust.class);
  private final KubernetesClient client;

  LayerTrust(KubernetesClient client) {
    this.client = client;
  }

  LayerSignature check(OciRepository repo, String digest, List<ImagePolicy> trusting)
      throws IOException {
    List<CosignArtifacts.Entry> entries =
        CosignArtifacts.read(repo, CosignArtifacts.signatureTag(digest));
    LayerSignature sig = new LayerSignature();
    sig.setDigest(digest);
    List<String> verified = new ArrayList<>();
    List<String> untrusted = new ArrayList<>();
    for (ImagePolicy p : trusting) {
      List<PublicKey> keys = keys(p);
      if (entries.stream().anyMatch(e -> CosignArtifacts.signs(e, digest, keys))) {
        verified.add(p.getMetadata().getName());
      } else {
        untrusted.add(p.getMetadata().getName());
      }
    }
    boolean signed = entries.stream().anyMatch(e -> CosignArtifacts.claims(e, digest));
    sig.setVerifiedBy(verified.isEmpty() ? null : verified);
    sig.setUntrustedBy(untrusted.isEmpty() ? null : untrusted);
    if (!signed && verified.isEmpty()) {
      sig.setState(SignatureState.Unsigned);
    } else if (trusting.isEmpty()) {
      sig.setState(SignatureState.Signed);
    } else {
      sig.setState(untrusted.isEmpty() ? SignatureState.Verified : SignatureState.Untrusted);
    }
    return sig;
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

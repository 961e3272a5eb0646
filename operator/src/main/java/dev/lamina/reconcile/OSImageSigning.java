package dev.lamina.reconcile;

import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPlan;
import dev.lamina.supply.BuildSigning;
import dev.lamina.supply.Provenance;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The OSImage's side of signing: its key from {@code spec.output.signing.keySecret}, read before
 * anything is built so a bad key fails the image before an unsigned index is tagged, and the
 * signatures and provenance pushed once the index is.
 */
final class OSImageSigning {
  private final KubernetesClient client;

  OSImageSigning(KubernetesClient client) {
    this.client = client;
  }

  /** The key the image is to be signed with; empty when it asks for no signing. */
  Optional<SigningKeys.KeyPair> key(OSImage image) throws SupplyException {
    var output = image.getSpec().getOutput();
    if (output == null || output.getSigning() == null) {
      return Optional.empty();
    }
    String name = output.getSigning().getKeySecret();
    Secret secret =
        client.secrets().inNamespace(image.getMetadata().getNamespace()).withName(name).get();
    if (secret == null) {
      throw new SupplyException(
          "SigningKeyMissing",
          "Secret " + name + " (spec.output.signing.keySecret) does not exist");
    }
    return Optional.of(BuildSigning.fromSecretData(secret.getData(), name));
  }

  /**
   * Signs a Ready image unless status says this key signed it already; records the key's
   * fingerprint in status.
   */
  void signIfNeeded(
      OSImage image,
      OSImageStatus status,
      BuildPlan plan,
      OciRepository repo,
      String builderImage,
      Optional<SigningKeys.KeyPair> key)
      throws IOException {
    if (key.isEmpty() || status.getPhase() != Phase.Ready || status.getDigest() == null) {
      return;
    }
    String fingerprint = BuildSigning.fingerprint(key.get());
    if (fingerprint.equals(status.getSigningKey())) {
      return;
    }
    Map<String, String> manifests = new LinkedHashMap<>();
    Map<String, String> nodes = new LinkedHashMap<>();
    Map<String, String> sboms = new LinkedHashMap<>();
    for (ArchitectureStatus a : status.getArchitectures()) {
      manifests.put(a.getArchitecture(), a.getManifestDigest());
      if (a.getNodeArchitecture() != null) {
        nodes.put(a.getArchitecture(), a.getNodeArchitecture());
      }
      if (a.getSbomDigest() != null) {
        sboms.put(a.getArchitecture(), a.getSbomDigest());
      }
    }
    BuildSigning.sign(
        repo,
        key.get(),
        new Provenance.Build(
            repo.name(),
            status.getDigest(),
            manifests,
            nodes,
            sboms,
            image.getSpec(),
            plan,
            builderImage));
    status.setSigningKey(fingerprint);
  }
}

package dev.lamina.cli;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.OciRepository;
import dev.lamina.supply.SignatureCheck;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code lamina check --signatures}: a Layer's signatures as the operator would record them. */
final class CheckSignatures {
  private CheckSignatures() {}

  static void record(Layer layer, List<ImagePolicy> trusting, List<String> insecure)
      throws IOException {
    OciReference ref = OciReference.parse(layer.getSpec().getImage());
    OciRepository repo = OciClient.builder().insecureHosts(insecure).build().repository(ref);
    String digest =
        ref.digest() != null
            ? ref.digest()
            : repo.resolveTag(ref.tag() == null ? "latest" : ref.tag())
                .orElseThrow(() -> new IOException(layer.getSpec().getImage() + " does not exist"))
                .digest();
    Map<String, List<PublicKey>> keys = new TreeMap<>();
    for (ImagePolicy p : trusting) {
      List<PublicKey> own = new ArrayList<>();
      List<String> pems = p.getSpec().getTrust().getPublicKeys();
      for (String pem : pems == null ? List.<String>of() : pems) {
        try {
          own.addAll(SigningKeys.publicKeys(pem, "ImagePolicy " + p.getMetadata().getName()));
        } catch (SupplyException e) {
          throw new IllegalArgumentException(e.getMessage(), e);
        }
      }
      keys.put(p.getMetadata().getName(), own);
    }
    LayerStatus status = layer.getStatus() == null ? new LayerStatus() : layer.getStatus();
    status.setSignature(SignatureCheck.check(repo, digest, keys));
    layer.setStatus(status);
  }
}

package dev.lamina.supply;

import dev.lamina.api.LayerSignature;
import dev.lamina.api.SignatureState;
import dev.lamina.oci.OciRepository;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cosign signatures of one digest checked against the keys of each policy that requires them.
 * Each policy counts on its own: a signature by one policy's key does not satisfy another's.
 */
public final class SignatureCheck {
  private SignatureCheck() {}

  /**
   * @param keysByPolicy ImagePolicy name -> its spec.trust keys; empty when no trust applies
   */
  public static LayerSignature check(
      OciRepository repo, String digest, Map<String, List<PublicKey>> keysByPolicy)
      throws IOException {
    List<CosignArtifacts.Entry> entries =
        CosignArtifacts.read(repo, CosignArtifacts.signatureTag(digest));
    List<String> verified = new ArrayList<>();
    List<String> untrusted = new ArrayList<>();
    for (Map.Entry<String, List<PublicKey>> p : new TreeMap<>(keysByPolicy).entrySet()) {
      if (entries.stream().anyMatch(e -> CosignArtifacts.signs(e, digest, p.getValue()))) {
        verified.add(p.getKey());
      } else {
        untrusted.add(p.getKey());
      }
    }
    boolean signed = entries.stream().anyMatch(e -> CosignArtifacts.claims(e, digest));
    LayerSignature sig = new LayerSignature();
    sig.setDigest(digest);
    sig.setVerifiedBy(verified.isEmpty() ? null : verified);
    sig.setUntrustedBy(untrusted.isEmpty() ? null : untrusted);
    if (!signed) {
      sig.setState(SignatureState.Unsigned);
    } else if (keysByPolicy.isEmpty()) {
      sig.setState(SignatureState.Signed);
    } else {
      sig.setState(untrusted.isEmpty() ? SignatureState.Verified : SignatureState.Untrusted);
    }
    return sig;
  }
}

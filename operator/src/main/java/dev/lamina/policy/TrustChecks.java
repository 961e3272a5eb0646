package dev.lamina.policy;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSignature;
import dev.lamina.api.SignatureState;

/** Rule LMN014: the Layer's digest is signed by a key of this policy's spec.trust. */
final class TrustChecks {
  private TrustChecks() {}

  static void layer(ImagePolicy policy, Layer layer, BuiltInChecks.Sink sink) {
    String name = policy.getMetadata().getName();
    LayerSignature sig = layer.getStatus() == null ? null : layer.getStatus().getSignature();
    if (sig == null || sig.getState() == null) {
      sink.notEvaluated("status.signature", "the Layer's signatures are not checked yet");
      return;
    }
    if (sig.getVerifiedBy() != null && sig.getVerifiedBy().contains(name)) {
      return;
    }
    String what = "digest " + sig.getDigest() + " of " + layer.getSpec().getImage();
    sink.fail(
        "status.signature",
        sig.getState() == SignatureState.Unsigned
            ? what
                + " has no cosign signature; ImagePolicy "
                + name
                + " requires one by a key of its spec.trust"
            : what + " is not signed by any key of ImagePolicy " + name + "'s spec.trust");
  }
}

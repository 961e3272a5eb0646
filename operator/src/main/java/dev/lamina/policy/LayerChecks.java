package dev.lamina.policy;

import dev.lamina.api.Layer;
import dev.lamina.api.LayerSignature;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.SignatureState;
import dev.lamina.oci.OciReference;
import java.util.List;

/** What each built-in rule that applies to a Layer checks (see {@link BuiltInChecks}). */
final class LayerChecks {
  private LayerChecks() {}

  /** Runs {@code rule} on {@code layer} and reports to {@code sink}. */
  static void check(BuiltInRule rule, Layer layer, Parameters p, BuiltInChecks.Sink sink) {
    String image = layer.getSpec() == null ? null : layer.getSpec().getImage();
    if (image == null || image.isBlank()) {
      sink.notEvaluated("spec.image", "spec.image is not set");
      return;
    }
    switch (rule) {
      case IMAGE_PINNED -> {
        OciReference ref = BuiltInChecks.reference(image, "spec.image", sink);
        if (ref != null && ref.digest() == null) {
          sink.fail(
              "spec.image",
              "image "
                  + image
                  + " is not pinned by digest; add @sha256:<digest> so every build"
                  + " pulls the same bytes");
        }
      }
      case REGISTRY_ALLOWED -> {
        if (p.allowedRegistries().isEmpty()) {
          return;
        }
        OciReference ref = BuiltInChecks.reference(image, "spec.image", sink);
        if (ref == null) {
          return;
        }
        if (ref.isLayout()) {
          sink.fail(
              "spec.image",
              "image "
                  + image
                  + " is an OCI layout on disk, not from an allowed registry ("
                  + String.join(", ", p.allowedRegistries())
                  + ")");
        } else if (!p.allowedRegistries()
            .contains(OciReference.normalizeRegistry(ref.registry()))) {
          sink.fail(
              "spec.image",
              "registry "
                  + OciReference.normalizeRegistry(ref.registry())
                  + " of image "
                  + image
                  + " is not allowed; allowed: "
                  + String.join(", ", p.allowedRegistries()));
        }
      }
      case PLATFORMS_AVAILABLE -> {
        List<PlatformDigest> resolved = BuiltInChecks.resolvedPlatforms(layer);
        if (resolved.isEmpty()) {
          sink.notEvaluated("spec.platforms", "the Layer is not resolved yet");
          return;
        }
        for (String wanted : layer.getSpec().effectivePlatforms()) {
          if (resolved.stream().noneMatch(d -> wanted.equals(d.getPlatform()))) {
            sink.fail(
                "platform " + wanted,
                "image "
                    + image
                    + " has no "
                    + wanted
                    + " manifest, which spec.platforms asks for");
          }
        }
      }
      case LAYER_SIZE -> {
        List<PlatformDigest> resolved = BuiltInChecks.resolvedPlatforms(layer);
        if (resolved.isEmpty()) {
          sink.notEvaluated("status.platforms", "the Layer is not resolved yet");
          return;
        }
        for (PlatformDigest d : resolved) {
          if (d.getLayersSize() != null && d.getLayersSize() > p.maxLayerBytes()) {
            sink.fail(
                "platform " + d.getPlatform(),
                "compressed layers of "
                    + d.getPlatform()
                    + " are "
                    + BuiltInChecks.bytes(d.getLayersSize())
                    + ", over maxLayerBytes "
                    + BuiltInChecks.bytes(p.maxLayerBytes()));
          }
        }
      }
      case LAYER_SIGNED -> {
        LayerSignature sig = layer.getStatus() == null ? null : layer.getStatus().getSignature();
        if (sig == null || sig.getState() == null) {
          sink.notEvaluated("status.signature", "the Layer's signatures are not checked yet");
        } else if (sig.getState() == SignatureState.Unsigned) {
          sink.fail(
              "spec.image",
              "image "
                  + image
                  + " ("
                  + sig.getDigest()
                  + ") has no cosign signature; sign it with cosign sign --key");
        }
      }
      case LAYER_TRUSTED -> {
        // Evaluated per policy by PolicyEngine, which knows whose spec.trust applies.
      }
      default -> throw new IllegalArgumentException(rule.id() + " does not apply to a Layer");
    }
  }
}

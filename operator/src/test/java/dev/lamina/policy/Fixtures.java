package dev.lamina.policy;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.PlatformDigest;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;

/** Builds test objects from YAML, the way users write them. */
final class Fixtures {
  static final String DIGEST = "sha256:" + "ab".repeat(32);

  private Fixtures() {}

  static Layer layer(String yaml) {
    return Serialization.unmarshal(
        "apiVersion: lamina.dev/v1alpha1\nkind: Layer\n" + yaml, Layer.class);
  }

  static Layer layer(String name, String image) {
    return layer("metadata: {name: " + name + ", namespace: ns}\nspec: {image: '" + image + "'}\n");
  }

  /** A Layer resolved for each platform, each with that compressed size. */
  static Layer resolved(String name, long layersSize, String... platforms) {
    Layer l = layer(name, "ghcr.io/lamina/" + name + "@" + DIGEST);
    LayerStatus status = new LayerStatus();
    List<PlatformDigest> digests = new ArrayList<>();
    for (String p : platforms) {
      digests.add(new PlatformDigest(p, DIGEST, 500L, layersSize));
    }
    status.setPlatforms(digests);
    l.setStatus(status);
    return l;
  }

  static OSImage osImage(String yaml) {
    return Serialization.unmarshal(
        "apiVersion: lamina.dev/v1alpha1\nkind: OSImage\n" + yaml, OSImage.class);
  }

  static ImagePolicy policy(String yaml) {
    return Serialization.unmarshal(
        "apiVersion: lamina.dev/v1alpha1\nkind: ImagePolicy\n" + yaml, ImagePolicy.class);
  }
}

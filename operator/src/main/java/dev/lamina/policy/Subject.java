package dev.lamina.policy;

import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Overlap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;

/** What {@link PolicyEngine#assess} judges: a Layer on its own, or an OSImage with its context. */
public sealed interface Subject {
  /** The object itself, which policies select by its labels. */
  HasMetadata object();

  /** A Layer, with whatever status it has (an empty one judges the reference alone). */
  record OfLayer(Layer object) implements Subject {}

  /**
   * An OSImage.
   *
   * @param layers its Layers by name, those that exist
   * @param overlaps the overlaps its builds listed; null while no build has reported
   * @param overlapCount how many overlaps a build found, listed or not (the largest count among its
   *     architectures)
   */
  record OfOSImage(
      OSImage object, Map<String, Layer> layers, List<Overlap> overlaps, int overlapCount)
      implements Subject {
    public OfOSImage {
      layers = layers == null ? Map.of() : layers;
    }
  }

  static Subject layer(Layer layer) {
    return new OfLayer(layer);
  }

  static Subject osImage(
      OSImage image, Map<String, Layer> layers, List<Overlap> overlaps, int overlapCount) {
    return new OfOSImage(image, layers, overlaps, overlapCount);
  }

  /** An OSImage no build has reported on yet: its overlaps are unknown. */
  static Subject osImage(OSImage image, Map<String, Layer> layers) {
    return new OfOSImage(image, layers, null, 0);
  }
}

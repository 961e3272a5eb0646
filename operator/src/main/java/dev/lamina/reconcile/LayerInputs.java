package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * An OSImage's Layers, sorted by what they allow: Ready ones to build from, ones policy refused
 * (never to be resolved), and the rest to wait for.
 */
record LayerInputs(Map<String, Layer> ready, Map<String, Layer> refused, List<LayerWait> waiting) {

  /**
   * @param layer a Layer of the image's namespace by name, as the informer holds it
   */
  static LayerInputs of(OSImage image, Function<String, Optional<Layer>> layer) {
    Map<String, Layer> ready = new LinkedHashMap<>();
    Map<String, Layer> refused = new LinkedHashMap<>();
    List<LayerWait> waiting = new ArrayList<>();
    for (String name : image.getSpec().layerNames()) {
      Optional<Layer> l = layer.apply(name);
      if (l.isPresent() && current(l.get()) && isReady(l.get())) {
        ready.put(name, l.get());
      } else if (l.isPresent() && current(l.get()) && isRefused(l.get())) {
        refused.put(name, l.get());
      } else {
        waiting.add(LayerWait.of(name, l));
      }
    }
    return new LayerInputs(ready, refused, waiting);
  }

  boolean allReady() {
    return waiting.isEmpty() && refused.isEmpty();
  }

  /** The Layers policy reads when some were refused: every one the image names. */
  Map<String, Layer> readyAndRefused() {
    Map<String, Layer> all = new LinkedHashMap<>(ready);
    all.putAll(refused);
    return all;
  }

  /** What to report as not Ready: the Layers waited for, then those refused. */
  List<LayerWait> notReady() {
    List<LayerWait> all = new ArrayList<>(waiting);
    refused.forEach((name, layer) -> all.add(LayerWait.of(name, Optional.of(layer))));
    return all;
  }

  private static boolean current(Layer layer) {
    return layer.getStatus() != null
        && Objects.equals(
            layer.getMetadata().getGeneration(), layer.getStatus().getObservedGeneration());
  }

  private static boolean isReady(Layer layer) {
    return Conditions.isTrue(layer.getStatus().getConditions(), Conditions.READY);
  }

  /** A Layer that policy or trust refused, so the operator never resolved or trusted it. */
  private static boolean isRefused(Layer layer) {
    return Conditions.find(layer.getStatus().getConditions(), Conditions.READY)
        .map(
            c ->
                LayerReconciler.REFUSED.equals(c.getReason())
                    || LayerReconciler.UNSIGNED.equals(c.getReason())
                    || LayerReconciler.UNTRUSTED.equals(c.getReason()))
        .orElse(false);
  }
}

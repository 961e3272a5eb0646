package dev.lamina.policy;

import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The variables custom rules see: {@code object} and {@code layers}, as JSON maps. */
final class CelInput {
  private CelInput() {}

  /** A Layer's variables: no other Layers. */
  static Map<String, Object> of(Layer layer) {
    return Map.of(CelPrograms.OBJECT, toMap(layer), CelPrograms.LAYERS, Map.of());
  }

  /** An OSImage's variables: its Layers' statuses by name. */
  static Map<String, Object> of(OSImage image, Map<String, Layer> layers) {
    return Map.of(CelPrograms.OBJECT, toMap(image), CelPrograms.LAYERS, layerStatuses(layers));
  }

  /** The Layers of {@code image} that have no resolved platform yet (or do not exist). */
  static List<String> unresolvedLayers(OSImage image, Map<String, Layer> layers) {
    if (image.getSpec() == null) {
      return List.of();
    }
    return image.getSpec().layerNames().stream()
        .filter(n -> BuiltInChecks.resolvedPlatforms(layers.get(n)).isEmpty())
        .collect(Collectors.toList());
  }

  private static Map<String, Object> layerStatuses(Map<String, Layer> layers) {
    Map<String, Object> statuses = new HashMap<>();
    layers.forEach(
        (name, layer) ->
            statuses.put(name, layer.getStatus() == null ? Map.of() : toMap(layer.getStatus())));
    return statuses;
  }

  /** The object as CEL sees it: JSON maps, with null fields left out so has() tells absence. */
  static Map<String, Object> toMap(Object object) {
    @SuppressWarnings("unchecked")
    Map<String, Object> map = Serialization.jsonMapper().convertValue(object, Map.class);
    return withoutNulls(map);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutNulls(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach(
        (k, v) -> {
          if (v != null) {
            out.put(k, clean(v));
          }
        });
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object clean(Object v) {
    if (v instanceof Map<?, ?> m) {
      return withoutNulls((Map<String, Object>) m);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        if (o != null) {
          out.add(clean(o));
        }
      }
      return out;
    }
    if (v instanceof Integer i) {
      return i.longValue();
    }
    return v;
  }
}

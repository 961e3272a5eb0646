package dev.lamina.container;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lamina.api.ContainerSpec;
import java.util.Map;

/**
 * The {@code org.mobyproject.config} label a LinuxKit package image carries: the same runtime keys
 * as a container entry, without name and image, in JSON. Keys Lamina doesn't support (e.g.
 * resources, userns) are an error naming the key, never ignored.
 */
public final class MobyLabel {
  public static final String KEY = "org.mobyproject.config";

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private MobyLabel() {}

  /**
   * The label of {@code labels} as a container spec; an empty spec when there is none.
   *
   * @param where what the label belongs to, for messages (e.g. {@code Layer "getty"})
   * @throws IllegalArgumentException naming the key that is wrong
   */
  public static ContainerSpec read(Map<String, String> labels, String where) {
    String text = labels == null ? null : labels.get(KEY);
    if (text == null || text.isBlank()) {
      return new ContainerSpec();
    }
    String prefix = "label " + KEY + " of " + where + ": ";
    ContainerSpec spec;
    try {
      spec = JSON.readValue(text, ContainerSpec.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          prefix + "key " + e.getPropertyName() + " is not supported by Lamina", e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          prefix + "not a JSON object of container keys: " + e.getOriginalMessage(), e);
    }
    if (spec.getName() != null || spec.getLayer() != null) {
      throw new IllegalArgumentException(
          prefix + "key " + (spec.getName() != null ? "name" : "layer") + " cannot be set there");
    }
    // validate() wants a name and a layer; the label has neither, so check a copy with both.
    spec.setName("label");
    spec.setLayer("label");
    try {
      spec.validate("label");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(prefix + e.getMessage().substring("label.".length()), e);
    } finally {
      spec.setName(null);
      spec.setLayer(null);
    }
    return spec;
  }
}

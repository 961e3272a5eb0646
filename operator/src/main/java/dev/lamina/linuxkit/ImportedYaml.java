package dev.lamina.linuxkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes imported objects as YAML for {@code kubectl apply -f}: one document per object, Layers
 * first, no status, no empty fields. The same objects always give the same bytes: fields in the
 * order of their classes, mapping keys in the order of the linuxkit.yml, nothing from the clock.
 */
public final class ImportedYaml {
  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
          .disable(YAMLGenerator.Feature.SPLIT_LINES)
          .build();

  private ImportedYaml() {}

  /** The objects as a multi-document YAML stream. */
  public static String write(List<? extends HasMetadata> objects) {
    StringBuilder sb = new StringBuilder();
    for (HasMetadata o : objects) {
      JsonNode node = Serialization.jsonMapper().valueToTree(o);
      if (node instanceof ObjectNode obj) {
        obj.remove("status");
        if (obj.get("metadata") instanceof ObjectNode meta) {
          meta.properties().removeIf(e -> e.getValue().isObject() && e.getValue().isEmpty());
        }
      }
      prune(node);
      try {
        sb.append(YAML.writeValueAsString(node));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return sb.toString();
  }

  /** The Layers, then the OSImage, of an import. */
  public static String write(LinuxKitImport.Result result) {
    List<HasMetadata> all = new ArrayList<>(result.layers());
    all.add(result.osImage());
    return write(all);
  }

  /**
   * Drops nulls, which say nothing to the API server. Empty lists and mappings stay: in LinuxKit
   * {@code capabilities: []} or {@code sysctl: {}} replaces what the image's label says.
   */
  private static void prune(JsonNode node) {
    if (node instanceof ObjectNode obj) {
      Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isNull()) {
          it.remove();
        } else {
          prune(e.getValue());
        }
      }
    } else if (node instanceof ArrayNode arr) {
      for (JsonNode item : arr) {
        prune(item);
      }
    }
  }
}

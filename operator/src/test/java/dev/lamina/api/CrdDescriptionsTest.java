package dev.lamina.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kubectl explain} reads descriptions from the CRD schema: every field of each committed
 * CRD's spec and status, at any depth, has one (from its {@code @JsonPropertyDescription}). Fields
 * inside Kubernetes' own types (conditions, label selectors) are theirs, described by Kubernetes'
 * documentation rather than in the fabric8 model classes; the fields holding them are checked.
 */
class CrdDescriptionsTest {
  private static final Path COMMITTED = Path.of("..", "crds");
  private static final List<String> KUBERNETES_TYPES =
      List.of(
          "status.conditions",
          "spec.namespaceSelector",
          "spec.objectSelector",
          "spec.trust.layerSelector");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "layers.lamina.dev-v1.yml",
        "osimages.lamina.dev-v1.yml",
        "imagepolicies.lamina.dev-v1.yml"
      })
  void everySpecAndStatusFieldHasADescription(String file) throws IOException {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(COMMITTED.resolve(file).toFile());
    JsonNode schema = crd.at("/spec/versions/0/schema/openAPIV3Schema/properties");
    assertThat(schema.isMissingNode()).as(file + " has a schema").isFalse();
    List<String> undescribed = new ArrayList<>();
    List<String> described = new ArrayList<>();
    for (String top : List.of("spec", "status")) {
      JsonNode node = schema.get(top);
      if (node == null) {
        continue;
      }
      walk(top, node, undescribed, described);
    }
    assertThat(described).as(file + ": fields with a description").isNotEmpty();
    assertThat(undescribed).as(file + ": fields without a description").isEmpty();
  }

  private static void walk(
      String path, JsonNode schema, List<String> undescribed, List<String> described) {
    JsonNode properties = schema.get("properties");
    if (properties != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> p = it.next();
        String field = path + "." + p.getKey();
        JsonNode description = p.getValue().get("description");
        if (description == null || description.asText().isBlank()) {
          undescribed.add(field);
        } else {
          described.add(field);
        }
        if (!KUBERNETES_TYPES.contains(field)) {
          walk(field, p.getValue(), undescribed, described);
        }
      }
    }
    JsonNode items = schema.get("items");
    if (items != null) {
      walk(path + "[]", items, undescribed, described);
    }
  }
}

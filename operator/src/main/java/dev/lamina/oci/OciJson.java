package dev.lamina.oci;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the OCI JSON documents. Writing is deterministic (fixed field order, sorted
 * annotation keys, no nulls or empty maps, no whitespace) so equal content gives equal digests.
 */
final class OciJson {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private OciJson() {}

  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  static byte[] write(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  static JsonNode parse(byte[] bytes, String what) throws OciException {
    try {
      JsonNode node = MAPPER.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw new OciException(what + " is not a JSON object");
      }
      return node;
    } catch (OciException e) {
      throw e;
    } catch (IOException e) {
      String reason =
          e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new OciException(what + " is not valid JSON: " + reason);
    }
  }

  /** The media type a manifest document declares, or the one its shape implies. */
  static String mediaTypeOf(JsonNode node) {
    String declared = text(node, "mediaType");
    if (declared != null) {
      return declared;
    }
    return node.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
  }

  /** Opens a document's object and writes what every manifest and index starts with. */
  static void writeStart(JsonGenerator g, String mediaType, String artifactType)
      throws IOException {
    g.writeStartObject();
    g.writeNumberField("schemaVersion", 2);
    g.writeStringField("mediaType", mediaType);
    if (artifactType != null) {
      g.writeStringField("artifactType", artifactType);
    }
  }

  static void writeDescriptor(JsonGenerator g, Descriptor d) throws IOException {
    g.writeStartObject();
    g.writeStringField("mediaType", d.mediaType());
    if (d.artifactType() != null) {
      g.writeStringField("artifactType", d.artifactType());
    }
    g.writeStringField("digest", d.digest());
    g.writeNumberField("size", d.size());
    if (d.data() != null) {
      g.writeStringField("data", d.data());
    }
    if (d.platform() != null) {
      Platform p = d.platform();
      g.writeObjectFieldStart("platform");
      g.writeStringField("architecture", p.architecture());
      g.writeStringField("os", p.os());
      if (p.variant() != null) {
        g.writeStringField("variant", p.variant());
      }
      g.writeEndObject();
    }
    writeAnnotations(g, d.annotations());
    g.writeEndObject();
  }

  static void writeAnnotations(JsonGenerator g, Map<String, String> annotations)
      throws IOException {
    if (annotations.isEmpty()) {
      return;
    }
    g.writeObjectFieldStart("annotations");
    for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  static Descriptor readDescriptor(JsonNode node, String what) throws OciException {
    if (node == null || !node.isObject()) {
      throw new OciException(what + " is missing or not an object");
    }
    String mediaType = text(node, "mediaType");
    String digest = text(node, "digest");
    JsonNode size = node.get("size");
    if (mediaType == null
        || !Digests.isValid(digest)
        || size == null
        || !size.canConvertToLong()
        || size.asLong() < 0) {
      throw new OciException(what + " needs a mediaType, a sha256 digest and a size: " + node);
    }
    Platform platform = null;
    JsonNode p = node.get("platform");
    if (p != null && p.isObject() && text(p, "os") != null && text(p, "architecture") != null) {
      platform = new Platform(text(p, "os"), text(p, "architecture"), text(p, "variant"));
    }
    return new Descriptor(
        mediaType,
        digest,
        size.asLong(),
        readAnnotations(node),
        platform,
        text(node, "artifactType"),
        text(node, "data"));
  }

  static List<Descriptor> readDescriptors(JsonNode node, String field, String what)
      throws OciException {
    JsonNode array = node.get(field);
    List<Descriptor> result = new ArrayList<>();
    if (array == null || array.isNull()) {
      return result;
    }
    if (!array.isArray()) {
      throw new OciException(what + ": " + field + " is not an array");
    }
    for (int i = 0; i < array.size(); i++) {
      result.add(readDescriptor(array.get(i), what + " " + field + "[" + i + "]"));
    }
    return result;
  }

  static Map<String, String> readAnnotations(JsonNode node) {
    JsonNode a = node.get("annotations");
    Map<String, String> result = new TreeMap<>();
    if (a != null && a.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        result.put(e.getKey(), e.getValue().asText());
      }
    }
    return result;
  }

  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || !v.isTextual() ? null : v.asText();
  }
}

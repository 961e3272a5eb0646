package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a container needs from an image's config blob ({@code config} of the OCI image config or
 * Docker's): its process defaults and labels. Fields the image leaves out are null (or empty).
 */
public record ImageConfig(
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    String user,
    Map<String, String> labels) {

  /** An image config that sets nothing. */
  public static final ImageConfig EMPTY = new ImageConfig(null, null, null, null, null, Map.of());

  public static ImageConfig parse(byte[] json) throws OciException {
    JsonNode root = OciJson.parse(json, "image config");
    JsonNode c = root.path("config");
    Map<String, String> labels = new TreeMap<>();
    c.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    return new ImageConfig(
        strings(c.get("Entrypoint")),
        strings(c.get("Cmd")),
        strings(c.get("Env")),
        text(c.get("WorkingDir")),
        text(c.get("User")),
        Map.copyOf(labels));
  }

  private static List<String> strings(JsonNode n) {
    if (n == null || !n.isArray()) {
      return null;
    }
    List<String> list = new ArrayList<>();
    n.forEach(e -> list.add(e.asText()));
    return List.copyOf(list);
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }
}

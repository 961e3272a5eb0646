package dev.lamina.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An OCI runtime spec ({@code config.json}) or LinuxKit {@code runtime.json} as a flat map from
 * field to value, so two builders' files compare field by field. What the runtime reads as a set or
 * a map is keyed by its identity rather than its position: mounts by destination, namespaces and
 * rlimits by type, capabilities by name (positionally when two items share a key, as runtime.json's
 * tmpfs mount and its remount do). An absent field, {@code null}, {@code ""}, {@code []} and {@code
 * {}} mean the same to runc and LinuxKit's init and are all left out. Everything else
 * (process.args, env, the order of mounts' options) keeps its order.
 */
final class SpecFields {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SpecFields() {}

  static Map<String, String> of(byte[] json) throws IOException {
    Map<String, String> out = new TreeMap<>();
    flatten("", JSON.readTree(json), out);
    return out;
  }

  private static void flatten(String at, JsonNode n, Map<String, String> out) {
    if (n == null || n.isNull()) {
      return;
    }
    if (n.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = n.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        flatten(at + "/" + e.getKey(), e.getValue(), out);
      }
      return;
    }
    if (n.isArray()) {
      String keyField = keyOf(at);
      if (keyField != null && !uniqueKeys(n, keyField)) {
        // runtime.json's mounts name one destination twice (tmpfs, then its remount): a list.
        keyField = null;
      }
      if (at.startsWith("/process/capabilities/")) {
        for (JsonNode c : n) {
          out.put(at + "[" + c.asText() + "]", "true");
        }
        return;
      }
      for (int i = 0; i < n.size(); i++) {
        JsonNode item = n.get(i);
        String key =
            keyField != null && item.has(keyField)
                ? "[" + item.get(keyField).asText() + "]"
                : "/" + i;
        flatten(at + key, item, out);
      }
      return;
    }
    if (n.isTextual() && n.asText().isEmpty()) {
      return;
    }
    out.put(at, n.toString());
  }

  private static boolean uniqueKeys(JsonNode array, String field) {
    Set<String> seen = new TreeSet<>();
    for (JsonNode item : array) {
      if (!item.has(field) || !seen.add(item.get(field).asText())) {
        return false;
      }
    }
    return true;
  }

  /** The field that identifies an item of the array at {@code at}, or null for a list. */
  private static String keyOf(String at) {
    return switch (at) {
      case "/mounts" -> "destination";
      case "/linux/namespaces", "/process/rlimits" -> "type";
      default -> null;
    };
  }

  /** The fields where {@code a} and {@code b} differ: field -> [a's value, b's value]. */
  static Map<String, List<String>> diff(Map<String, String> a, Map<String, String> b) {
    Set<String> all = new TreeSet<>(a.keySet());
    all.addAll(b.keySet());
    Map<String, List<String>> out = new TreeMap<>();
    for (String k : all) {
      String va = a.get(k);
      String vb = b.get(k);
      if (va == null || !va.equals(vb)) {
        List<String> pair = new ArrayList<>();
        pair.add(va);
        pair.add(vb);
        out.put(k, pair);
      }
    }
    return out;
  }
}

package dev.lamina.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as a Lua table constructor, the shape Argo CD gives a health script: objects become tables
 * with string keys, arrays sequences from 1, null absent.
 */
final class LuaTables {
  private LuaTables() {}

  static String of(JsonNode node) {
    StringBuilder b = new StringBuilder();
    write(node, b);
    return b.toString();
  }

  private static void write(JsonNode node, StringBuilder b) {
    if (node.isObject()) {
      b.append('{');
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isNull()) {
          continue;
        }
        b.append('[');
        string(e.getKey(), b);
        b.append("]=");
        write(e.getValue(), b);
        b.append(',');
      }
      b.append('}');
    } else if (node.isArray()) {
      b.append('{');
      for (JsonNode e : node) {
        write(e, b);
        b.append(',');
      }
      b.append('}');
    } else if (node.isTextual()) {
      string(node.asText(), b);
    } else if (node.isNumber() || node.isBoolean()) {
      b.append(node.asText());
    } else {
      b.append("nil");
    }
  }

  private static void string(String s, StringBuilder b) {
    b.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\%03d", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('"');
  }
}

package dev.lamina.linuxkit;

import dev.lamina.linuxkit.LinuxKitSchema.ListOf;
import dev.lamina.linuxkit.LinuxKitSchema.Obj;
import dev.lamina.linuxkit.LinuxKitSchema.OneOf;
import dev.lamina.linuxkit.LinuxKitSchema.Scalar;
import dev.lamina.linuxkit.LinuxKitSchema.Shape;
import dev.lamina.linuxkit.LinuxKitSchema.StringMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Reads a linuxkit.yml strictly: every key must be one of LinuxKit's ({@link LinuxKitSchema}) and
 * every value of the type LinuxKit's schema gives it (a mode is a quoted string, a flag is a
 * boolean). All problems are collected, each with its key path ({@code onboot[1].imgae}) and line,
 * so one run shows everything to fix.
 */
public final class LinuxKitYaml {
  private final Map<String, Integer> lines;

  private LinuxKitYaml(Map<String, Integer> lines) {
    this.lines = lines;
  }

  /**
   * What a valid file holds: plain maps (in file order), lists, strings, longs and booleans.
   *
   * @param lines the line of each key path, for messages
   */
  public record Tree(Map<String, Object> root, Map<String, Integer> lines) {
    /** The line of {@code path}, or of the nearest enclosing path that has one; 0 if none. */
    public int lineOf(String path) {
      String p = path;
      while (!p.isEmpty()) {
        Integer line = lines.get(p);
        if (line != null) {
          return line;
        }
        int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        p = cut < 0 ? "" : p.substring(0, cut);
      }
      return 0;
    }
  }

  /**
   * Parses and checks {@code text}.
   *
   * @param label the file name, for YAML syntax errors
   * @throws LinuxKitException with every problem found
   */
  public static Tree read(String text, String label) throws LinuxKitException {
    List<Node> documents = new ArrayList<>();
    try {
      // The core schema resolves scalars as Go's yaml.v3 does for LinuxKit: 0600 is an integer.
      LoadSettings settings =
          LoadSettings.builder()
              .setLabel(label)
              .setSchema(new org.snakeyaml.engine.v2.schema.CoreSchema())
              .build();
      Composer composer =
          new Composer(settings, new ParserImpl(settings, new StreamReader(settings, text)));
      while (composer.hasNext()) {
        documents.add(composer.next());
      }
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
      String column = e.getProblemMark().map(m -> ", column " + (m.getColumn() + 1)).orElse("");
      throw new LinuxKitException(
          List.of(new LinuxKitProblem("", line, "invalid YAML" + column + ": " + e.getProblem())));
    } catch (YamlEngineException e) {
      throw new LinuxKitException(
          List.of(new LinuxKitProblem("", 0, "invalid YAML: " + firstLine(e.getMessage()))));
    }
    if (documents.isEmpty()) {
      throw new LinuxKitException(List.of(new LinuxKitProblem("", 0, "the file is empty")));
    }
    if (documents.size() > 1) {
      throw new LinuxKitException(
          List.of(
              new LinuxKitProblem(
                  "",
                  line(documents.get(1)),
                  "the file holds "
                      + documents.size()
                      + " YAML documents; a linuxkit.yml is one (LinuxKit reads only the first)")));
    }
    List<LinuxKitProblem> problems = new ArrayList<>();
    Map<String, Integer> lines = new java.util.HashMap<>();
    Object root =
        new LinuxKitYaml(lines).value(documents.get(0), LinuxKitSchema.ROOT, "", problems);
    if (!problems.isEmpty()) {
      throw new LinuxKitException(problems);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) root;
    return new Tree(map, java.util.Collections.unmodifiableMap(lines));
  }

  private Object value(Node node, Shape shape, String path, List<LinuxKitProblem> out) {
    if (shape instanceof Obj o) {
      return object(node, o, path, out);
    }
    if (shape instanceof ListOf l) {
      return list(node, l, path, out);
    }
    if (shape instanceof StringMap) {
      return stringMap(node, path, out);
    }
    if (shape instanceof OneOf one) {
      return oneOf(node, one, path, out);
    }
    return scalar(node, (Scalar) shape, path, out);
  }

  private Map<String, Object> object(Node node, Obj shape, String path, List<LinuxKitProblem> out) {
    if (!(node instanceof MappingNode mapping)) {
      out.add(mismatch(node, path, "a mapping"));
      return null;
    }
    Map<String, Object> result = new LinkedHashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      String key = key(t.getKeyNode(), path, out);
      if (key == null || duplicate(result, key, t, path, out)) {
        continue;
      }
      String at = join(path, key);
      lines.put(at, line(t.getKeyNode()));
      Shape child = shape.keys().get(key);
      if (child == null) {
        out.add(
            new LinuxKitProblem(
                at,
                line(t.getKeyNode()),
                "unknown key: LinuxKit has no such key here (it has "
                    + String.join(", ", shape.keys().keySet())
                    + ")"));
        continue;
      }
      result.put(key, value(t.getValueNode(), child, at, out));
    }
    for (String required : new TreeSet<>(shape.required())) {
      if (!result.containsKey(required)) {
        out.add(new LinuxKitProblem(join(path, required), line(node), "is required"));
      }
    }
    return result;
  }

  private List<Object> list(Node node, ListOf shape, String path, List<LinuxKitProblem> out) {
    if (!(node instanceof SequenceNode seq)) {
      out.add(mismatch(node, path, "a list"));
      return null;
    }
    List<Object> result = new ArrayList<>();
    List<Node> items = seq.getValue();
    for (int i = 0; i < items.size(); i++) {
      lines.put(path + "[" + i + "]", line(items.get(i)));
      result.add(value(items.get(i), shape.item(), path + "[" + i + "]", out));
    }
    return result;
  }

  private Map<String, Object> stringMap(Node node, String path, List<LinuxKitProblem> out) {
    if (!(node instanceof MappingNode mapping)) {
      out.add(mismatch(node, path, "a mapping of strings"));
      return null;
    }
    Map<String, Object> result = new LinkedHashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      String key = key(t.getKeyNode(), path, out);
      if (key != null && !duplicate(result, key, t, path, out)) {
        lines.put(join(path, key), line(t.getKeyNode()));
        result.put(key, scalar(t.getValueNode(), Scalar.STRING, join(path, key), out));
      }
    }
    return result;
  }

  private Object oneOf(Node node, OneOf shape, String path, List<LinuxKitProblem> out) {
    Object v = scalar(node, Scalar.STRING, path, out);
    if (v instanceof String s && !shape.values().contains(s)) {
      out.add(
          new LinuxKitProblem(
              path, line(node), quote(s) + " is not one of " + new TreeSet<>(shape.values())));
    }
    return v;
  }

  private Object scalar(Node node, Scalar shape, String path, List<LinuxKitProblem> out) {
    if (!(node instanceof ScalarNode s)) {
      out.add(mismatch(node, path, shape.words));
      return null;
    }
    Tag tag = s.getTag();
    String text = s.getValue();
    boolean isString = Tag.STR.equals(tag);
    boolean isInt = Tag.INT.equals(tag);
    switch (shape) {
      case STRING:
        if (isString) {
          return text;
        }
        break;
      case BOOLEAN:
        if (Tag.BOOL.equals(tag)) {
          return Boolean.valueOf(text.toLowerCase(java.util.Locale.ROOT));
        }
        break;
      case INTEGER:
        if (isInt) {
          return integer(s, path, out);
        }
        break;
      case ID:
        if (isString) {
          return text;
        }
        if (isInt) {
          return integer(s, path, out);
        }
        break;
    }
    out.add(mismatch(node, path, shape.words));
    return null;
  }

  private static Long integer(ScalarNode s, String path, List<LinuxKitProblem> out) {
    String text = s.getValue().replace("_", "");
    try {
      if (text.startsWith("0x") || text.startsWith("-0x") || text.startsWith("+0x")) {
        boolean negative = text.startsWith("-");
        long v = Long.parseLong(text.substring(text.indexOf('x') + 1), 16);
        return negative ? -v : v;
      }
      if (text.startsWith("0o")) {
        return Long.parseLong(text.substring(2), 8);
      }
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      out.add(new LinuxKitProblem(path, line(s), s.getValue() + " is not a 64-bit integer"));
      return null;
    }
  }

  /** A key given twice is an error in YAML, and LinuxKit's parser refuses it too. */
  private boolean duplicate(
      Map<String, Object> seen, String key, NodeTuple t, String path, List<LinuxKitProblem> out) {
    if (!seen.containsKey(key)) {
      return false;
    }
    out.add(
        new LinuxKitProblem(
            join(path, key),
            line(t.getKeyNode()),
            "is given twice (first on line " + lines.get(join(path, key)) + ")"));
    return true;
  }

  private static String key(Node node, String path, List<LinuxKitProblem> out) {
    if (node instanceof ScalarNode s && Tag.STR.equals(s.getTag())) {
      return s.getValue();
    }
    out.add(new LinuxKitProblem(path, line(node), "a key must be a string, not " + describe(node)));
    return null;
  }

  private static LinuxKitProblem mismatch(Node node, String path, String expected) {
    String hint =
        node instanceof ScalarNode s
                && !Tag.STR.equals(s.getTag())
                && !Tag.NULL.equals(s.getTag())
                && expected.equals(Scalar.STRING.words)
            ? " (quote it)"
            : "";
    return new LinuxKitProblem(
        path, line(node), "expected " + expected + ", not " + describe(node) + hint);
  }

  private static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode s = (ScalarNode) node;
    Tag tag = s.getTag();
    if (Tag.NULL.equals(tag)) {
      return "nothing (null)";
    }
    if (Tag.INT.equals(tag)) {
      return "the integer " + s.getValue();
    }
    if (Tag.FLOAT.equals(tag)) {
      return "the number " + s.getValue();
    }
    if (Tag.BOOL.equals(tag)) {
      return "the boolean " + s.getValue();
    }
    return "the string " + quote(s.getValue());
  }

  static String quote(String s) {
    return dev.lamina.api.FileSpec.quote(s);
  }

  private static int line(Node node) {
    return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}

package dev.lamina.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.lamina.api.FileSpec;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Lamina;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.plan.PlanFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * The Layers, OSImages and ImagePolicies in YAML files, in the order they appear. Documents of
 * other kinds are skipped, so a whole directory of manifests can be checked.
 */
public final class ResourceFiles {
  /** Input that can't be checked; its message is one line naming the file and document. */
  public static final class InvalidInputException extends Exception {
    public InvalidInputException(String message) {
      super(message);
    }
  }

  /** An object and the file it came from. */
  public record Source<T extends HasMetadata>(T object, String file) {}

  // Unknown fields are typos here, not fields of a newer version: an offline check must not
  // silently ignore a misspelt spec.imgae.
  private static final ObjectMapper STRICT = strictMapper();

  // The API server takes a string only as a string and a number only as a number, so `mode: 644`
  // or `uid: "0"` must fail here as it would there, instead of being quietly converted.
  private static ObjectMapper strictMapper() {
    ObjectMapper m =
        Serialization.jsonMapper()
            .copy()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    for (LogicalType t : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
      m.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    }
    m.coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    return m;
  }

  private final List<Source<Layer>> layers = new ArrayList<>();
  private final List<Source<OSImage>> osImages = new ArrayList<>();
  private final List<Source<ImagePolicy>> policies = new ArrayList<>();
  private final Set<String> seen = new HashSet<>();

  public List<Source<Layer>> layers() {
    return layers;
  }

  public List<Source<OSImage>> osImages() {
    return osImages;
  }

  public List<Source<ImagePolicy>> policies() {
    return policies;
  }

  /** Reads each file, or each *.yaml and *.yml under a directory in name order. */
  public static ResourceFiles read(List<Path> paths) throws InvalidInputException {
    ResourceFiles m = new ResourceFiles();
    for (Path path : paths) {
      for (Path file : expand(path)) {
        m.readFile(file);
      }
    }
    return m;
  }

  private static List<Path> expand(Path path) throws InvalidInputException {
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    try (Stream<Path> walk = Files.walk(path)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + path + ": " + e.getMessage());
    }
  }

  private void readFile(Path file) throws InvalidInputException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InvalidInputException("cannot read " + file + ": no such file");
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + file + ": " + e.getMessage());
    }
    Load load = new Load(LoadSettings.builder().setLabel(file.toString()).build());
    int index = 0;
    try {
      for (Object doc : load.loadAllFromString(text)) {
        index++;
        if (doc == null) {
          continue;
        }
        if (!(doc instanceof Map<?, ?> map)) {
          throw new InvalidInputException(file + ": document " + index + " is not a mapping");
        }
        add(file.toString(), index, map);
      }
    } catch (MarkedYamlEngineException e) {
      String at =
          e.getProblemMark()
              .map(mk -> " at line " + (mk.getLine() + 1) + ", column " + (mk.getColumn() + 1))
              .orElse("");
      throw new InvalidInputException(file + ": invalid YAML" + at + ": " + e.getProblem());
    } catch (YamlEngineException e) {
      throw new InvalidInputException(file + ": invalid YAML: " + oneLine(e.getMessage()));
    }
  }

  private void add(String file, int index, Map<?, ?> doc) throws InvalidInputException {
    Object apiVersion = doc.get("apiVersion");
    Object kind = doc.get("kind");
    if (!(apiVersion instanceof String v) || !v.startsWith(Lamina.GROUP + "/")) {
      return;
    }
    String where =
        file + ": document " + index + " (" + kind + nameIn(doc).map(n -> " " + n).orElse("") + ")";
    if (!(Lamina.GROUP + "/" + Lamina.VERSION).equals(v)) {
      throw new InvalidInputException(
          where + ": apiVersion " + v + " is not " + Lamina.GROUP + "/" + Lamina.VERSION);
    }
    if ("Layer".equals(kind)) {
      Layer l = convert(doc, Layer.class, where);
      requireName(l, where);
      String image = l.getSpec() == null ? null : l.getSpec().getImage();
      if (image == null || image.isBlank()) {
        throw new InvalidInputException(where + ": spec.image is required");
      }
      if (!image.matches(Lamina.IMAGE_REFERENCE)) {
        throw new InvalidInputException(
            where + ": spec.image " + image + " is not an OCI reference");
      }
      layers.add(new Source<>(unique(l, where), file));
    } else if ("OSImage".equals(kind)) {
      OSImage o = convert(doc, OSImage.class, where);
      requireName(o, where);
      if (o.getSpec() == null
          || o.getSpec().getArchitectures() == null
          || o.getSpec().getArchitectures().isEmpty()) {
        throw new InvalidInputException(where + ": spec.architectures is required");
      }
      try {
        PlanFactory.validateFiles("spec.files", o.getSpec().getFiles());
        PlanFactory.validateContainers(o.getSpec());
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(where + ": " + e.getMessage());
      }
      osImages.add(new Source<>(unique(o, where), file));
    } else if ("ImagePolicy".equals(kind)) {
      ImagePolicy p = convert(doc, ImagePolicy.class, where);
      requireName(p, where);
      policies.add(new Source<>(unique(p, where), file));
    } else {
      throw new InvalidInputException(where + ": unknown kind " + kind + " in " + Lamina.GROUP);
    }
  }

  private static <T> T convert(Map<?, ?> doc, Class<T> type, String where)
      throws InvalidInputException {
    try {
      return STRICT.convertValue(doc, type);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof JsonMappingException jme) {
        String path = pathOf(jme);
        String problem = problem(jme, valueAt(doc, jme.getPath()));
        throw new InvalidInputException(
            where + ": " + (path.isEmpty() ? "" : path + ": ") + problem);
      }
      throw new InvalidInputException(where + ": " + oneLine(e.getMessage()));
    }
  }

  /**
   * What is wrong, in the words of the schema rather than of Java types.
   *
   * @param given the YAML value the error points at, or null
   */
  private static String problem(JsonMappingException e, Object given) {
    if (e instanceof UnrecognizedPropertyException) {
      return "unknown field";
    }
    if (!(e instanceof MismatchedInputException m) || m.getTargetType() == null) {
      return oneLine(e.getOriginalMessage());
    }
    Class<?> t = m.getTargetType();
    if (!(given instanceof String || given instanceof Number || given instanceof Boolean)) {
      return "expected " + typeName(t);
    }
    String shown = given instanceof String str ? FileSpec.quote(str) : String.valueOf(given);
    if (t.isEnum()) {
      List<String> allowed =
          java.util.Arrays.stream(t.getEnumConstants()).map(String::valueOf).sorted().toList();
      return shown + " is not one of " + allowed;
    }
    return shown + " is not " + typeName(t) + (t == String.class ? " (quote it)" : "");
  }

  private static String typeName(Class<?> t) {
    if (t == String.class) {
      return "a string";
    }
    if (t == Boolean.class || t == boolean.class) {
      return "true or false";
    }
    if (t == Long.class || t == long.class || t == Integer.class || t == int.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(t) || t.isPrimitive()) {
      return "a number";
    }
    if (java.util.Collection.class.isAssignableFrom(t)) {
      return "a list";
    }
    if (java.util.Map.class.isAssignableFrom(t) || !t.getName().startsWith("java.")) {
      return "a mapping";
    }
    return t.getSimpleName();
  }

  /** The YAML value a mapping error points at, or null where the path leads nowhere. */
  private static Object valueAt(Object node, List<JsonMappingException.Reference> path) {
    for (JsonMappingException.Reference r : path) {
      if (r.getFieldName() != null && node instanceof Map<?, ?> map) {
        node = map.get(r.getFieldName());
      } else if (r.getIndex() >= 0 && node instanceof List<?> list && r.getIndex() < list.size()) {
        node = list.get(r.getIndex());
      } else {
        return null;
      }
    }
    return node;
  }

  private static String pathOf(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static void requireName(HasMetadata o, String where) throws InvalidInputException {
    if (o.getMetadata() == null
        || o.getMetadata().getName() == null
        || o.getMetadata().getName().isBlank()) {
      throw new InvalidInputException(where + ": metadata.name is required");
    }
  }

  private static java.util.Optional<String> nameIn(Map<?, ?> doc) {
    return doc.get("metadata") instanceof Map<?, ?> meta
            && meta.get("name") instanceof String name
            && !name.isBlank()
        ? java.util.Optional.of(name)
        : java.util.Optional.empty();
  }

  private <T extends HasMetadata> T unique(T o, String where) throws InvalidInputException {
    String key = o.getKind() + "/" + namespaceOf(o) + "/" + o.getMetadata().getName();
    if (!seen.add(key)) {
      throw new InvalidInputException(where + ": defined twice");
    }
    return o;
  }

  /** The namespace an object would land in: its own, or default as kubectl apply would use. */
  public static String namespaceOf(HasMetadata o) {
    if (o instanceof ImagePolicy) {
      return "";
    }
    String ns = o.getMetadata().getNamespace();
    return ns == null || ns.isBlank() ? "default" : ns;
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}

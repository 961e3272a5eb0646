package dev.lamina.linuxkit;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.lamina.api.Architecture;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.Lamina;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.oci.Digests;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.Platform;
import dev.lamina.oci.ResolvedImage;
import dev.lamina.plan.PlanFactory;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a linuxkit.yml ({@link LinuxKitYaml.Tree}) into Layers and one OSImage: every image a Layer
 * pinned by digest, the kernel, init, containers and files as the OSImage's spec.
 *
 * <p>Three kinds of finding, in this order: errors (the file is wrong, or names something that
 * cannot be built: a {@code @pkg:} template, a container without image, two containers of one name)
 * stop the import; losses (valid LinuxKit that Lamina cannot express: {@code volumes}, {@code
 * resources}, a file read from the building machine) are listed by key path and stop it unless
 * allowed; then each image is resolved to its digest.
 */
public final class LinuxKitImport {
  private static final ObjectMapper STRICT =
      Serialization.jsonMapper().copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** How LinuxKit marks a scalar its package resolver replaces. */
  static final String PKG_TEMPLATE = "@pkg:";

  /**
   * Why each LinuxKit key Lamina does not express is left out, by its schema path ({@code
   * container.} for a key of any container). A key neither here nor in Lamina's types is reported
   * with a generic reason.
   */
  static final Map<String, String> LOST =
      Map.ofEntries(
          Map.entry(
              "volumes",
              "Lamina has no volumes: put the files in a Layer (init) or a container's own image"),
          Map.entry(
              "trust",
              "LinuxKit ignores it (Notary content trust was removed); Lamina verifies cosign"
                  + " signatures by ImagePolicy spec.trust instead"),
          Map.entry(
              "files.source",
              "a path on the building machine; Lamina reads no host files when it builds (the"
                  + " build stays hermetic): put the file in a Layer and name it in"
                  + " source.layer and source.path"),
          Map.entry("container.userns", "user namespaces are not in Lamina's container spec"),
          Map.entry(
              "container.uidMappings",
              "user namespace id mappings are not in Lamina's container spec"),
          Map.entry(
              "container.gidMappings",
              "user namespace id mappings are not in Lamina's container spec"),
          Map.entry(
              "container.resources", "cgroup resource limits are not in Lamina's container spec"),
          Map.entry("mount.uidmappings", "id-mapped mounts are not in Lamina's container spec"),
          Map.entry("mount.gidmappings", "id-mapped mounts are not in Lamina's container spec"));

  /** What to produce. */
  public record Options(
      String name,
      String namespace,
      List<Architecture> architectures,
      RegistryMap registryMap,
      String outputRepository,
      boolean allowLoss) {}

  /**
   * What the file became.
   *
   * @param layers one per distinct image, sorted by name
   * @param osImage the image
   * @param losses what LinuxKit's file says that the OSImage does not (empty unless allowed)
   */
  public record Result(List<Layer> layers, OSImage osImage, List<LinuxKitProblem> losses) {}

  /** Valid LinuxKit that Lamina cannot express, when that was not allowed. */
  public static final class LossException extends Exception {
    private final transient List<LinuxKitProblem> losses;

    LossException(List<LinuxKitProblem> losses) {
      super(losses.size() + " LinuxKit key(s) cannot be expressed in Lamina");
      this.losses = List.copyOf(losses);
    }

    public List<LinuxKitProblem> losses() {
      return losses;
    }
  }

  private final LinuxKitYaml.Tree tree;
  private final Map<String, Object> root;
  private final Options options;
  private final List<LinuxKitProblem> errors = new ArrayList<>();
  private final List<LinuxKitProblem> losses = new ArrayList<>();

  private LinuxKitImport(LinuxKitYaml.Tree tree, Options options) {
    this.tree = tree;
    this.root = tree.root();
    this.options = options;
  }

  /**
   * Checks the file and lists what Lamina cannot express, without touching a registry.
   *
   * @return the losses (empty when everything can be expressed)
   * @throws LinuxKitException when the file cannot be imported at all
   */
  public static List<LinuxKitProblem> check(LinuxKitYaml.Tree tree, Options options)
      throws LinuxKitException {
    LinuxKitImport i = new LinuxKitImport(tree, options);
    i.findErrors();
    i.findLosses();
    if (!i.errors.isEmpty()) {
      throw new LinuxKitException(i.errors);
    }
    return List.copyOf(i.losses);
  }

  /**
   * Imports the file: checks it, then resolves every image through {@code client}.
   *
   * @throws LinuxKitException when the file cannot be imported
   * @throws LossException when something cannot be expressed and that is not allowed
   * @throws IOException when a registry fails or an image is missing
   */
  public static Result run(LinuxKitYaml.Tree tree, Options options, OciClient client)
      throws LinuxKitException, LossException, IOException {
    List<LinuxKitProblem> lost = check(tree, options);
    if (!lost.isEmpty() && !options.allowLoss()) {
      throw new LossException(lost);
    }
    LinuxKitImport i = new LinuxKitImport(tree, options);
    Map<String, String> layerOf = i.resolveImages(client);
    List<Layer> layers = i.layers(layerOf);
    OSImage image = i.osImage(layerOf);
    return new Result(layers, image, lost);
  }

  // ---------------------------------------------------------------- errors

  private void findErrors() {
    findTemplates(root, "");
    Map<String, String> names = new HashMap<>();
    for (String section : LinuxKitSchema.CONTAINER_SECTIONS) {
      List<Map<String, Object>> containers = list(root.get(section));
      for (int i = 0; i < containers.size(); i++) {
        Map<String, Object> c = containers.get(i);
        String at = section + "[" + i + "]";
        Object name = c.get("name");
        if (name instanceof String n) {
          if (!n.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            errors.add(
                problem(
                    at + ".name",
                    LinuxKitYaml.quote(n)
                        + " is not a container name Lamina accepts (letters, digits, '_', '.',"
                        + " '-', at most 63, not starting with a sign)"));
          }
          String first = names.putIfAbsent(n, at);
          if (first != null) {
            errors.add(
                problem(
                    at + ".name",
                    LinuxKitYaml.quote(n)
                        + " is also the name of "
                        + first
                        + "; Lamina needs every container's name to be unique (it names the"
                        + " container's directory and the id files may be owned by)"));
          }
        }
        checkImage(c.get("image"), at + ".image");
      }
    }
    Map<String, Object> kernel = map(root.get("kernel"));
    if (kernel != null) {
      if (kernel.get("image") == null) {
        errors.add(problem("kernel.image", "is required when kernel is given"));
      }
      checkImage(kernel.get("image"), "kernel.image");
    }
    List<Object> init = rawList(root.get("init"));
    for (int i = 0; i < init.size(); i++) {
      checkImage(init.get(i), "init[" + i + "]");
    }
    checkFiles(names.keySet());
  }

  private void findTemplates(Object node, String path) {
    if (node instanceof String s && s.startsWith(PKG_TEMPLATE)) {
      errors.add(
          problem(
              path,
              LinuxKitYaml.quote(s)
                  + " is a LinuxKit package template, resolved from a LinuxKit source tree by"
                  + " `linuxkit pkg`; build and push the package, then name its image here"));
    } else if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> findTemplates(v, LinuxKitYaml.join(path, (String) k)));
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        findTemplates(l.get(i), path + "[" + i + "]");
      }
    }
  }

  private void checkImage(Object image, String path) {
    if (!(image instanceof String s) || s.startsWith(PKG_TEMPLATE)) {
      return;
    }
    if (s.isBlank()) {
      errors.add(problem(path, "is empty"));
      return;
    }
    try {
      options.registryMap().apply(s);
    } catch (IllegalArgumentException e) {
      errors.add(problem(path, e.getMessage()));
    }
  }

  private void checkFiles(Set<String> containerNames) {
    List<Map<String, Object>> files = list(root.get("files"));
    for (int i = 0; i < files.size(); i++) {
      Map<String, Object> f = files.get(i);
      String at = "files[" + i + "]";
      Object path = f.get("path");
      if (!(path instanceof String p) || p.isEmpty() || p.equals("/")) {
        errors.add(problem(at + ".path", "is required"));
      }
      boolean directory = Boolean.TRUE.equals(f.get("directory"));
      boolean symlink = f.get("symlink") != null;
      boolean contents = f.containsKey("contents") && f.get("contents") != null;
      boolean source = f.get("source") != null;
      boolean metadata = f.get("metadata") != null;
      if (directory && contents) {
        errors.add(problem(at + ".contents", "a directory has no contents"));
      }
      if (!directory && !symlink && !contents && !source && !metadata) {
        errors.add(problem(at, "has neither contents, source, metadata, directory nor symlink"));
      }
      if ((contents || directory || symlink) && (source || metadata)) {
        errors.add(
            problem(
                at + (source ? ".source" : ".metadata"),
                "cannot be given with contents, directory or symlink"));
      }
      if (source && metadata) {
        errors.add(problem(at + ".metadata", "cannot be given with source"));
      }
      if (metadata && !List.of("yaml", "json").contains(f.get("metadata"))) {
        errors.add(
            problem(
                at + ".metadata",
                LinuxKitYaml.quote((String) f.get("metadata")) + " is not yaml or json"));
      }
      if (f.get("mode") instanceof String mode && !mode.matches("0?[0-7]{3,4}")) {
        errors.add(
            problem(at + ".mode", LinuxKitYaml.quote(mode) + " is not an octal mode such as 0644"));
      }
      for (String key : List.of("uid", "gid")) {
        Object id = f.get(key);
        if (id instanceof String name
            && !name.isEmpty()
            && !name.equals("root")
            && !containerNames.contains(name)) {
          errors.add(
              problem(
                  at + "." + key,
                  LinuxKitYaml.quote(name) + " is neither root nor the name of a container"));
        } else if (id instanceof Long n && (n < 0 || n > 4294967294L)) {
          errors.add(problem(at + "." + key, n + " is not between 0 and 4294967294"));
        }
      }
    }
  }

  // ---------------------------------------------------------------- losses

  private void findLosses() {
    if (root.containsKey("trust")) {
      lose("trust", "trust");
    }
    Set<String> volumes = new LinkedHashSet<>();
    if (root.containsKey("volumes")) {
      for (Map<String, Object> v : list(root.get("volumes"))) {
        if (v.get("name") instanceof String n) {
          volumes.add(n);
        }
      }
      lose(
          "volumes",
          "volumes",
          volumes.isEmpty() ? "" : " (" + String.join(", ", volumes) + " left out)");
    }
    for (String section : LinuxKitSchema.CONTAINER_SECTIONS) {
      List<Map<String, Object>> containers = list(root.get(section));
      for (int i = 0; i < containers.size(); i++) {
        String at = section + "[" + i + "]";
        Map<String, Object> c = containers.get(i);
        keepable(c, ContainerSpec.class, at, "container", Set.of("name", "image"));
        for (String key : List.of("binds", "binds.add")) {
          List<Object> binds = rawList(c.get(key));
          for (int b = 0; b < binds.size(); b++) {
            if (binds.get(b) instanceof String bind && isVolumeBind(bind)) {
              losses.add(
                  problem(
                      at + "." + key + "[" + b + "]",
                      LinuxKitYaml.quote(bind)
                          + " binds the LinuxKit volume "
                          + bind.substring(0, bind.indexOf(':'))
                          + ", and Lamina has no volumes"));
            }
          }
        }
      }
    }
    List<Map<String, Object>> files = list(root.get("files"));
    for (int i = 0; i < files.size(); i++) {
      Map<String, Object> f = files.get(i);
      if (f.get("source") instanceof String s) {
        lose(
            "files[" + i + "].source",
            "files.source",
            " (" + LinuxKitYaml.quote(s) + "; the file is left out)");
      }
    }
  }

  /** A bind whose source is not a path names a LinuxKit volume. */
  private static boolean isVolumeBind(String bind) {
    int colon = bind.indexOf(':');
    return colon > 0 && !bind.startsWith("/");
  }

  private void lose(String path, String key) {
    lose(path, key, "");
  }

  private void lose(String path, String key, String detail) {
    losses.add(problem(path, LOST.get(key) + detail));
  }

  /**
   * Reports each key of {@code value} that {@code type} has no property for, recursing into
   * mappings and lists of mappings whose Lamina type is one of its own classes.
   *
   * @param schemaName the name under which {@link #LOST} explains this object's keys
   * @param handled keys converted by hand, not by name
   */
  private void keepable(
      Map<String, Object> value,
      Class<?> type,
      String path,
      String schemaName,
      Set<String> handled) {
    Map<String, JavaType> properties = properties(type);
    for (Map.Entry<String, Object> e : value.entrySet()) {
      String key = e.getKey();
      String at = LinuxKitYaml.join(path, key);
      if (handled.contains(key)) {
        continue;
      }
      JavaType target = properties.get(key);
      if (target == null) {
        String reason = LOST.get(schemaName + "." + key);
        losses.add(
            problem(
                at,
                reason != null
                    ? reason
                    : "Lamina's " + type.getSimpleName() + " has no " + key + " field"));
        continue;
      }
      nested(e.getValue(), target, at, key);
    }
  }

  private void nested(Object value, JavaType target, String at, String key) {
    if (value instanceof Map<?, ?> m && isLamina(target)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> child = (Map<String, Object>) m;
      keepable(child, target.getRawClass(), at, schemaNameOf(key), Set.of());
    } else if (value instanceof List<?> l
        && target.isCollectionLikeType()
        && isLamina(target.getContentType())) {
      for (int i = 0; i < l.size(); i++) {
        if (l.get(i) instanceof Map<?, ?> m) {
          @SuppressWarnings("unchecked")
          Map<String, Object> child = (Map<String, Object>) m;
          keepable(
              child,
              target.getContentType().getRawClass(),
              at + "[" + i + "]",
              schemaNameOf(key),
              Set.of());
        }
      }
    }
  }

  private static String schemaNameOf(String key) {
    return switch (key) {
      case "mounts" -> "mount";
      case "devices" -> "device";
      case "interfaces" -> "interface";
      default -> key;
    };
  }

  private static boolean isLamina(JavaType t) {
    return t != null
        && t.getRawClass().getPackageName().equals(ContainerSpec.class.getPackageName())
        && !t.getRawClass().isEnum()
        && t.getRawClass() != dev.lamina.api.IdRef.class;
  }

  /** The JSON properties of a Lamina api class and their types. */
  static Map<String, JavaType> properties(Class<?> type) {
    BeanDescription d = STRICT.getDeserializationConfig().introspect(STRICT.constructType(type));
    Map<String, JavaType> result = new TreeMap<>();
    for (BeanPropertyDefinition p : d.findProperties()) {
      if (p.hasSetter() || p.hasField()) {
        result.put(p.getName(), p.getPrimaryType());
      }
    }
    return result;
  }

  // ---------------------------------------------------------------- images

  /** Each LinuxKit image string of the file, mapped and pinned, and the Layer it became. */
  private final Map<String, Pinned> pinned = new LinkedHashMap<>();

  private record Pinned(String reference, String digest, String layer) {}

  private List<String> images() {
    List<String> images = new ArrayList<>();
    Map<String, Object> kernel = map(root.get("kernel"));
    if (kernel != null && kernel.get("image") instanceof String k) {
      images.add(k);
    }
    for (Object i : rawList(root.get("init"))) {
      images.add((String) i);
    }
    for (String section : LinuxKitSchema.CONTAINER_SECTIONS) {
      for (Map<String, Object> c : list(root.get(section))) {
        images.add((String) c.get("image"));
      }
    }
    return images;
  }

  /** Resolves every image once; returns the Layer name of each LinuxKit image string. */
  private Map<String, String> resolveImages(OciClient client) throws IOException {
    List<Platform> platforms =
        options.architectures().stream().map(a -> Platform.linux(a.name())).toList();
    Map<String, String> layerOf = new LinkedHashMap<>();
    Map<String, String> nameOwner = new HashMap<>();
    Map<String, Pinned> byReference = new HashMap<>();
    for (String image : images()) {
      if (layerOf.containsKey(image)) {
        continue;
      }
      String mapped = options.registryMap().apply(image);
      ResolvedImage resolved = client.resolve(mapped, platforms);
      if (!resolved.missing().isEmpty()) {
        throw new dev.lamina.oci.NotFoundException(
            image
                + (mapped.equals(image) ? "" : " (" + mapped + ")")
                + " has no image for "
                + resolved.missing().stream().map(Platform::toString).sorted().toList()
                + "; import for the architectures it has with --arch");
      }
      String digest =
          resolved.indexDigest() != null
              ? resolved.indexDigest()
              : resolved.manifests().values().iterator().next().digest();
      String reference = pin(mapped, digest);
      Pinned p = byReference.get(reference);
      if (p == null) {
        String name = layerName(mapped, digest);
        String owner = nameOwner.putIfAbsent(name, reference);
        if (owner != null && !owner.equals(reference)) {
          name =
              name
                  + "-"
                  + Digests.sha256(reference.getBytes(StandardCharsets.UTF_8)).substring(7, 13);
          nameOwner.put(name, reference);
        }
        p = new Pinned(reference, digest, name);
        byReference.put(reference, p);
      }
      pinned.put(image, p);
      layerOf.put(image, p.layer());
    }
    return layerOf;
  }

  /** The mapped reference pinned to {@code digest}, keeping its tag where one may stay. */
  static String pin(String mapped, String digest) {
    OciReference ref = OciReference.parse(mapped);
    if (ref.isLayout()) {
      return ref.repository() + "@" + digest;
    }
    return ref.repository() + (ref.tag() == null ? "" : ":" + ref.tag()) + "@" + digest;
  }

  /**
   * A Layer name from the image's last path component and its digest, so the same image is one
   * Layer however often it is named, and two versions of one image never share a name.
   */
  static String layerName(String mapped, String digest) {
    OciReference ref = OciReference.parse(mapped);
    String repo = ref.isLayout() ? ref.layoutDir().getFileName().toString() : ref.path();
    String base = repo.substring(repo.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
    base = base.replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (base.isEmpty()) {
      base = "image";
    }
    if (base.length() > 40) {
      base = base.substring(0, 40).replaceAll("-+$", "");
    }
    return base + "-" + digest.substring("sha256:".length(), "sha256:".length() + 10);
  }

  private List<Layer> layers(Map<String, String> layerOf) {
    Map<String, Layer> byName = new TreeMap<>();
    List<String> platforms =
        options.architectures().stream().map(a -> "linux/" + a.name()).toList();
    for (Pinned p : pinned.values()) {
      if (byName.containsKey(p.layer())) {
        continue;
      }
      Layer l = new Layer();
      l.setMetadata(meta(p.layer()));
      LayerSpec spec = new LayerSpec(p.reference());
      spec.setPlatforms(platforms);
      l.setSpec(spec);
      byName.put(p.layer(), l);
    }
    return List.copyOf(byName.values());
  }

  private ObjectMeta meta(String name) {
    ObjectMeta m = new ObjectMeta();
    m.setName(name);
    if (options.namespace() != null) {
      m.setNamespace(options.namespace());
    }
    return m;
  }

  // ---------------------------------------------------------------- the OSImage

  private OSImage osImage(Map<String, String> layerOf) throws LinuxKitException {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("architectures", options.architectures().stream().map(Enum::name).toList());
    Map<String, Object> kernel = map(root.get("kernel"));
    if (kernel != null) {
      Map<String, Object> k = new LinkedHashMap<>();
      k.put("layer", layerOf.get((String) kernel.get("image")));
      putIfPresent(k, "cmdline", kernel.get("cmdline"));
      putIfPresent(k, "binary", kernel.get("binary"));
      putIfPresent(k, "modules", kernel.get("tar"));
      putIfPresent(k, "ucode", kernel.get("ucode"));
      spec.put("kernel", k);
    } else {
      // LinuxKit builds a root filesystem alone when there is no kernel.
      spec.put("formats", List.of("rootfs-tar"));
    }
    List<Object> init = rawList(root.get("init"));
    if (!init.isEmpty()) {
      spec.put("init", init.stream().map(i -> layerOf.get((String) i)).toList());
    }
    for (String section : LinuxKitSchema.CONTAINER_SECTIONS) {
      List<Map<String, Object>> containers = list(root.get(section));
      if (containers.isEmpty()) {
        continue;
      }
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < containers.size(); i++) {
        out.add(container(containers.get(i), layerOf));
      }
      spec.put(section, out);
    }
    List<Object> files = new ArrayList<>();
    for (Map<String, Object> f : list(root.get("files"))) {
      Map<String, Object> file = file(f);
      if (file != null) {
        files.add(file);
      }
    }
    if (!files.isEmpty()) {
      spec.put("files", files);
    }
    if (options.outputRepository() != null) {
      spec.put("output", Map.of("repository", options.outputRepository()));
    }
    OSImage image = new OSImage();
    image.setMetadata(meta(options.name()));
    try {
      image.setSpec(STRICT.convertValue(spec, OSImageSpec.class));
      PlanFactory.validateFiles("spec.files", image.getSpec().getFiles());
    } catch (IllegalArgumentException e) {
      throw new LinuxKitException(
          List.of(new LinuxKitProblem("", 0, "the OSImage would be invalid: " + e.getMessage())));
    }
    return image;
  }

  /** The container as Lamina writes it: LinuxKit's keys that Lamina has, image → layer. */
  private Map<String, Object> container(Map<String, Object> c, Map<String, String> layerOf) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", c.get("name"));
    out.put("layer", layerOf.get((String) c.get("image")));
    Map<String, Object> kept = keptCopy(c, ContainerSpec.class, Set.of("name", "image"));
    for (String key : List.of("binds", "binds.add")) {
      if (kept.get(key) instanceof List<?> binds) {
        List<Object> pathsOnly = new ArrayList<>();
        for (Object b : binds) {
          if (!(b instanceof String s && isVolumeBind(s))) {
            pathsOnly.add(b);
          }
        }
        kept.put(key, pathsOnly);
      }
    }
    for (String key : List.of("uid", "gid")) {
      if ("".equals(kept.get(key))) {
        kept.put(key, 0L);
      }
    }
    out.putAll(kept);
    return out;
  }

  /** A copy of {@code value} holding only what {@code type} has, recursively. */
  private static Map<String, Object> keptCopy(
      Map<String, Object> value, Class<?> type, Set<String> skip) {
    Map<String, JavaType> properties = properties(type);
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : value.entrySet()) {
      JavaType target = properties.get(e.getKey());
      if (skip.contains(e.getKey()) || target == null) {
        continue;
      }
      out.put(e.getKey(), keptValue(e.getValue(), target));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object keptValue(Object value, JavaType target) {
    if (value instanceof Map<?, ?> m && isLamina(target)) {
      return keptCopy((Map<String, Object>) m, target.getRawClass(), Set.of());
    }
    if (value instanceof List<?> l
        && target.isCollectionLikeType()
        && isLamina(target.getContentType())) {
      List<Object> out = new ArrayList<>();
      for (Object item : l) {
        out.add(keptValue(item, target.getContentType()));
      }
      return out;
    }
    return value;
  }

  /** A file entry as Lamina writes it, or null when it is lost (a host source). */
  private static Map<String, Object> file(Map<String, Object> f) {
    if (f.get("source") != null) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    String path = (String) f.get("path");
    // LinuxKit writes the path relative to the root whichever way it is given.
    out.put("path", path.replaceFirst("^/+", ""));
    boolean directory = Boolean.TRUE.equals(f.get("directory"));
    if (directory) {
      out.put("directory", true);
    }
    putIfPresent(out, "symlink", f.get("symlink"));
    putIfPresent(out, "contents", f.get("contents"));
    putIfPresent(out, "metadata", f.get("metadata"));
    Object mode = f.get("mode");
    if (mode == null && f.get("symlink") == null) {
      // LinuxKit's defaults, not Lamina's 0644 and 0755.
      mode = directory ? "0700" : "0600";
    }
    putIfPresent(out, "mode", mode);
    for (String key : List.of("uid", "gid")) {
      Object id = f.get(key);
      if ("".equals(id)) {
        id = 0L;
      }
      putIfPresent(out, key, id);
    }
    return out;
  }

  // ---------------------------------------------------------------- helpers

  private static void putIfPresent(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private LinuxKitProblem problem(String path, String message) {
    return new LinuxKitProblem(path, tree.lineOf(path), message);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(Object o) {
    if (!(o instanceof List<?> l)) {
      return List.of();
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object item : l) {
      out.add(item instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> rawList(Object o) {
    return o instanceof List<?> l ? (List<Object>) l : List.of();
  }

  /** Lamina's group/version, for writers of the objects. */
  public static String apiVersion() {
    return Lamina.GROUP + "/" + Lamina.VERSION;
  }

  static Comparator<Layer> byName() {
    return Comparator.comparing(l -> l.getMetadata().getName());
  }
}

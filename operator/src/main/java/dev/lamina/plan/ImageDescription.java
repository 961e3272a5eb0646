package dev.lamina.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileMetadata;
import dev.lamina.api.FileSpec;
import dev.lamina.container.GoJson;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The image's own description, written into a file with {@code metadata: yaml|json} (LinuxKit
 * writes its linuxkit.yml there): kernel, init, containers and files in LinuxKit's keys, every
 * Layer pinned as {@code repository@digest} of this architecture. Keys are sorted, so the bytes
 * depend only on the plan.
 */
final class ImageDescription {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true).build();

  private ImageDescription() {}

  static byte[] of(BuildPlan plan, BuildPlan.ArchPlan arch, FileMetadata format) {
    Map<String, Object> doc = new TreeMap<>();
    if (arch.kernel() != null) {
      Map<String, Object> kernel = new TreeMap<>();
      kernel.put("image", pinned(arch.kernel()));
      if (plan.kernel() != null) {
        put(kernel, "cmdline", plan.kernel().cmdline());
        put(kernel, "binary", plan.kernel().binary());
        put(kernel, "tar", plan.kernel().modules());
        put(kernel, "ucode", plan.kernel().ucode());
      }
      doc.put("kernel", kernel);
    }
    doc.put("init", arch.init().stream().map(ImageDescription::pinned).toList());
    if (plan.containers() != null) {
      put(doc, "onboot", containers(plan.containers().onboot(), arch));
      put(doc, "onshutdown", containers(plan.containers().onshutdown(), arch));
      put(doc, "services", containers(plan.containers().services(), arch));
    }
    List<Object> files = new ArrayList<>();
    for (FileSpec f : plan.files() == null ? List.<FileSpec>of() : plan.files()) {
      files.add(tree(f));
    }
    doc.put("files", files);
    if (format == FileMetadata.json) {
      return GoJson.write(doc);
    }
    return new KubernetesSerialization().asYaml(doc).getBytes(StandardCharsets.UTF_8);
  }

  private static List<Object> containers(List<ContainerSpec> list, BuildPlan.ArchPlan arch) {
    if (list == null) {
      return null;
    }
    List<Object> out = new ArrayList<>();
    for (ContainerSpec c : list) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) tree(c);
      m.remove("layer");
      m.put("image", pinned(arch.layer(c.getLayer())));
      out.add(m);
    }
    return out;
  }

  /** A value as sorted maps and lists, nulls left out. */
  private static Object tree(Object value) {
    Object plain = MAPPER.convertValue(value, Object.class);
    return sorted(plain);
  }

  private static Object sorted(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> t = new TreeMap<>();
      m.forEach(
          (k, x) -> {
            if (x != null) {
              t.put((String) k, sorted(x));
            }
          });
      return t;
    }
    if (v instanceof List<?> l) {
      return l.stream().map(ImageDescription::sorted).toList();
    }
    return v;
  }

  private static String pinned(BuildPlan.LayerRef ref) {
    return ref.image() + "@" + ref.digest();
  }

  private static void put(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}

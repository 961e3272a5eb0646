package dev.lamina.container;

import dev.lamina.api.BindNamespaces;
import dev.lamina.api.ContainerMount;
import dev.lamina.api.ContainerRuntime;
import dev.lamina.api.RuntimeInterface;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A container's runtime.json, what LinuxKit's init does around the container: each key from the
 * OSImage's entry if set, else from the image's label, else empty; the mounts that make the
 * container's root filesystem come first. Every key is written, as LinuxKit writes them.
 */
public final class RuntimeJson {
  private RuntimeJson() {}

  /**
   * @param spec the entry's runtime, or null
   * @param label the label's runtime, or null
   * @param rootfsMounts the mounts that make rootfs/ (see {@link BundleLayout})
   */
  public static byte[] of(
      ContainerRuntime spec, ContainerRuntime label, List<Map<String, Object>> rootfsMounts) {
    ContainerRuntime s = spec == null ? new ContainerRuntime() : spec;
    ContainerRuntime l = label == null ? new ContainerRuntime() : label;
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("cgroups", list(first(s.getCgroups(), l.getCgroups())));
    List<Object> mounts = new ArrayList<>(rootfsMounts);
    List<ContainerMount> extra = first(s.getMounts(), l.getMounts());
    for (ContainerMount m : extra == null ? List.<ContainerMount>of() : extra) {
      mounts.add(
          OciConfig.mount(
              m.getDestination() == null ? "" : m.getDestination(),
              m.getType(),
              m.getSource(),
              m.getOptions()));
    }
    tree.put("mounts", mounts);
    tree.put("mkdir", list(first(s.getMkdir(), l.getMkdir())));
    List<Object> interfaces = new ArrayList<>();
    List<RuntimeInterface> ifs = first(s.getInterfaces(), l.getInterfaces());
    for (RuntimeInterface i : ifs == null ? List.<RuntimeInterface>of() : ifs) {
      Map<String, Object> m = new LinkedHashMap<>();
      putText(m, "name", i.getName());
      putText(m, "add", i.getAdd());
      putText(m, "peer", i.getPeer());
      m.put("createInRoot", Boolean.TRUE.equals(i.getCreateInRoot()));
      interfaces.add(m);
    }
    tree.put("interfaces", interfaces);
    BindNamespaces sb = s.getBindNS() == null ? new BindNamespaces() : s.getBindNS();
    BindNamespaces lb = l.getBindNS() == null ? new BindNamespaces() : l.getBindNS();
    Map<String, Object> bind = new LinkedHashMap<>();
    bind.put("cgroup", ns(sb, lb, BindNamespaces::getCgroup));
    bind.put("ipc", ns(sb, lb, BindNamespaces::getIpc));
    bind.put("mnt", ns(sb, lb, BindNamespaces::getMnt));
    bind.put("net", ns(sb, lb, BindNamespaces::getNet));
    bind.put("pid", ns(sb, lb, BindNamespaces::getPid));
    bind.put("user", ns(sb, lb, BindNamespaces::getUser));
    bind.put("uts", ns(sb, lb, BindNamespaces::getUts));
    tree.put("bindNS", bind);
    String namespace = first(s.getNamespace(), l.getNamespace());
    tree.put("namespace", namespace == null ? "" : namespace);
    return GoJson.write(tree);
  }

  private static String ns(
      BindNamespaces spec, BindNamespaces label, Function<BindNamespaces, String> get) {
    String v = first(get.apply(spec), get.apply(label));
    return v == null ? "" : v;
  }

  private static <T> T first(T a, T b) {
    return a != null ? a : b;
  }

  private static List<Object> list(List<String> l) {
    return l == null ? List.of() : List.copyOf(l);
  }

  private static void putText(Map<String, Object> m, String key, String v) {
    if (v != null && !v.isEmpty()) {
      m.put(key, v);
    }
  }
}

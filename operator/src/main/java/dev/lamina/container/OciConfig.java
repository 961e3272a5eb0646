package dev.lamina.container;

import dev.lamina.api.Capabilities;
import dev.lamina.api.ContainerDevice;
import dev.lamina.api.ContainerMount;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.IdRef;
import dev.lamina.oci.ImageConfig;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The OCI runtime spec (config.json) of one container, decided as LinuxKit decides it: each value
 * from the OSImage's entry if set, else from the image's {@code org.mobyproject.config} label, else
 * (command, env, cwd, and in Lamina also the user) from the image config, else LinuxKit's default.
 * Keys are written in the runtime spec's field order and maps sorted by key, as Go writes them, so
 * the bytes are the same for the same inputs.
 */
public final class OciConfig {
  /** The runtime-spec version LinuxKit's vendored specs-go writes. */
  public static final String OCI_VERSION = "1.2.1";

  private static final BigInteger UNLIMITED = new BigInteger("18446744073709551615");
  private static final Set<String> RLIMITS =
      Set.of(
          "RLIMIT_CPU",
          "RLIMIT_FSIZE",
          "RLIMIT_DATA",
          "RLIMIT_STACK",
          "RLIMIT_CORE",
          "RLIMIT_RSS",
          "RLIMIT_NPROC",
          "RLIMIT_NOFILE",
          "RLIMIT_MEMLOCK",
          "RLIMIT_AS",
          "RLIMIT_LOCKS",
          "RLIMIT_SIGPENDING",
          "RLIMIT_MSGQUEUE",
          "RLIMIT_NICE",
          "RLIMIT_RTPRIO",
          "RLIMIT_RTTIME");

  /** A container's config.json as a tree for {@link GoJson}, and whether its root is read-only. */
  public record Result(Map<String, Object> tree, boolean readonly) {
    public byte[] toJson() {
      return GoJson.write(tree);
    }
  }

  /** Numeric ids for an image config's User value; null when the name is not in the image. */
  public interface UserLookup extends Function<String, long[]> {}

  private OciConfig() {}

  /**
   * Decides the config.json of {@code spec}.
   *
   * @param label the image's org.mobyproject.config label (an empty spec when none)
   * @param image the image's config
   * @param ids the id of each container by name, for uid/gid given as names
   * @param users looks up the image config's User in the image's /etc/passwd and /etc/group
   * @throws IllegalArgumentException naming the field whose value can't be used
   */
  public static Result of(
      String field,
      ContainerSpec spec,
      ContainerSpec label,
      ImageConfig image,
      Map<String, Long> ids,
      UserLookup users) {
    List<String> args =
        first(spec.getCommand(), label.getCommand(), concat(image.entrypoint(), image.cmd()));
    List<String> env = first(spec.getEnv(), label.getEnv(), image.env());
    String cwd = firstText(spec.getCwd(), label.getCwd(), image.workingDir(), "/");
    boolean readonly = firstBool(spec.getReadonly(), label.getReadonly());

    Map<String, Object> process = new LinkedHashMap<>();
    process.put("user", user(field, spec, label, image, ids, users));
    putList(process, "args", args);
    putList(process, "env", env);
    process.put("cwd", cwd);
    process.put("capabilities", capabilities(field, spec, label));
    putList(process, "rlimits", rlimits(field, first(spec.getRlimits(), label.getRlimits())));
    if (firstBool(spec.getNoNewPrivileges(), label.getNoNewPrivileges())) {
      process.put("noNewPrivileges", true);
    }
    Integer oom = spec.getOomScoreAdj() != null ? spec.getOomScoreAdj() : label.getOomScoreAdj();
    if (oom != null) {
      process.put("oomScoreAdj", oom);
    }

    Map<String, Object> root = new LinkedHashMap<>();
    root.put("path", "rootfs");
    if (readonly) {
      root.put("readonly", true);
    }

    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("ociVersion", OCI_VERSION);
    tree.put("process", process);
    tree.put("root", root);
    String hostname = firstText(spec.getHostname(), label.getHostname(), null, null);
    if (hostname != null) {
      tree.put("hostname", hostname);
    }
    tree.put("mounts", mounts(field, spec, label, readonly));
    putMap(tree, "annotations", first(spec.getAnnotations(), label.getAnnotations()));
    tree.put("linux", linux(field, spec, label));
    return new Result(tree, readonly);
  }

  private static Map<String, Object> user(
      String field,
      ContainerSpec spec,
      ContainerSpec label,
      ImageConfig image,
      Map<String, Long> ids,
      UserLookup users) {
    long uid = 0;
    long gid = 0;
    IdRef u = spec.getUid() != null ? spec.getUid() : label.getUid();
    IdRef g = spec.getGid() != null ? spec.getGid() : label.getGid();
    if (u == null && g == null && image.user() != null && !image.user().isEmpty()) {
      long[] fromImage = imageUser(field, image.user(), users);
      uid = fromImage[0];
      gid = fromImage[1];
    }
    if (u != null) {
      uid = resolve(field + ".uid", u, ids);
    }
    if (g != null) {
      gid = resolve(field + ".gid", g, ids);
    }
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("uid", uid);
    user.put("gid", gid);
    List<IdRef> extra = first(spec.getAdditionalGids(), label.getAdditionalGids());
    if (extra != null && !extra.isEmpty()) {
      List<Object> gids = new ArrayList<>();
      for (int i = 0; i < extra.size(); i++) {
        gids.add(resolve(field + ".additionalGids[" + i + "]", extra.get(i), ids));
      }
      user.put("additionalGids", gids);
    }
    return user;
  }

  /** The image config's User: uid[:gid], each a number or a name in the image's files. */
  private static long[] imageUser(String field, String user, UserLookup users) {
    if (user.matches("[0-9]+(:[0-9]+)?")) {
      String[] p = user.split(":");
      return new long[] {Long.parseLong(p[0]), p.length > 1 ? Long.parseLong(p[1]) : 0};
    }
    long[] ids = users == null ? null : users.apply(user);
    if (ids == null) {
      throw new IllegalArgumentException(
          field
              + ": the image config's User \""
              + user
              + "\" is not in the image's /etc/passwd and /etc/group; set uid and gid");
    }
    return ids;
  }

  private static long resolve(String field, IdRef id, Map<String, Long> ids) {
    try {
      return id.resolve(ids);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, Object> capabilities(
      String field, ContainerSpec spec, ContainerSpec label) {
    List<String> caps =
        spec.getCapabilities() != null
            ? spec.getCapabilities()
            : merge(label.getCapabilities(), spec.getCapabilitiesAdd());
    caps = expand(field + ".capabilities", caps);
    List<String> ambient = expand(field + ".ambient", first(spec.getAmbient(), label.getAmbient()));
    Set<String> bounding = new TreeSet<>(caps);
    bounding.addAll(ambient);
    List<String> sorted = List.copyOf(bounding);
    Map<String, Object> c = new LinkedHashMap<>();
    putList(c, "bounding", sorted);
    putList(c, "effective", caps);
    putList(c, "inheritable", sorted);
    putList(c, "permitted", sorted);
    putList(c, "ambient", ambient);
    return c;
  }

  /** all and none alone stand for every capability (in the kernel's order) and for none. */
  private static List<String> expand(String field, List<String> caps) {
    if (caps == null || Capabilities.isNone(caps)) {
      return List.of();
    }
    if (Capabilities.isAll(caps)) {
      return Capabilities.KNOWN;
    }
    Capabilities.validate(field, caps);
    return caps;
  }

  private static List<Object> rlimits(String field, List<String> specs) {
    List<Object> out = new ArrayList<>();
    for (int i = 0; specs != null && i < specs.size(); i++) {
      String[] p = specs.get(i).split(",", 3);
      String name = p[0].trim().toUpperCase(Locale.ROOT);
      if (!name.startsWith("RLIMIT_")) {
        name = "RLIMIT_" + name;
      }
      if (p.length != 3 || !RLIMITS.contains(name)) {
        throw new IllegalArgumentException(
            field + ".rlimits[" + i + "]: \"" + specs.get(i) + "\" is not NAME,SOFT,HARD");
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("type", name);
      r.put("hard", limit(field + ".rlimits[" + i + "]", p[2]));
      r.put("soft", limit(field + ".rlimits[" + i + "]", p[1]));
      out.add(r);
    }
    return out;
  }

  private static BigInteger limit(String field, String text) {
    String t = text.trim();
    if (t.equalsIgnoreCase("unlimited")) {
      return UNLIMITED;
    }
    try {
      BigInteger b = new BigInteger(t);
      if (b.signum() < 0 || b.compareTo(UNLIMITED) > 0) {
        throw new NumberFormatException();
      }
      return b;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(field + ": \"" + t + "\" is not a number or unlimited");
    }
  }

  private static List<Object> mounts(
      String field, ContainerSpec spec, ContainerSpec label, boolean readonly) {
    // Keyed by destination, sorted: a later mount of the same place replaces an earlier one, and
    // /dev comes before /dev/pts.
    Map<String, Map<String, Object>> byDest = new TreeMap<>();
    put(byDest, "/proc", "proc", "proc", List.of("nosuid", "nodev", "noexec", "relatime"));
    List<String> dev = new ArrayList<>(List.of("nosuid", "strictatime", "mode=755", "size=65536k"));
    List<String> sys = new ArrayList<>(List.of("nosuid", "noexec", "nodev"));
    if (readonly) {
      dev.add("ro");
      sys.add("ro");
    }
    put(byDest, "/dev", "tmpfs", "tmpfs", dev);
    put(
        byDest,
        "/dev/pts",
        "devpts",
        "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
    put(byDest, "/sys", "sysfs", "sysfs", sys);
    put(
        byDest,
        "/sys/fs/cgroup",
        "cgroup",
        "cgroup",
        List.of("nosuid", "noexec", "nodev", "relatime", "ro"));
    List<String> tmpfs = first(spec.getTmpfs(), label.getTmpfs());
    for (String t : tmpfs == null ? List.<String>of() : tmpfs) {
      String[] p = t.split(":", -1);
      put(byDest, p[0], "tmpfs", "tmpfs", p.length == 2 ? List.of(p[1].split(",", -1)) : null);
    }
    List<String> binds =
        spec.getBinds() != null ? spec.getBinds() : merge(label.getBinds(), spec.getBindsAdd());
    for (int i = 0; i < binds.size(); i++) {
      String[] p = binds.get(i).split(":", -1);
      if (p.length < 2 || p.length > 3) {
        throw new IllegalArgumentException(
            field + ".binds[" + i + "]: \"" + binds.get(i) + "\" is not SOURCE:DESTINATION");
      }
      List<String> opts = new ArrayList<>();
      if (p.length == 3) {
        opts.addAll(List.of(p[2].split(",", -1)));
        opts.add("rbind");
      } else {
        opts.addAll(List.of("rw", "rbind", "rshared"));
      }
      put(byDest, p[1], "bind", p[0], opts);
    }
    List<ContainerMount> mounts = first(spec.getMounts(), label.getMounts());
    for (int i = 0; mounts != null && i < mounts.size(); i++) {
      ContainerMount m = mounts.get(i);
      String type = m.getType() == null ? "" : m.getType();
      String src = m.getSource() == null ? "" : m.getSource();
      String dest = m.getDestination() == null ? "" : m.getDestination();
      if (type.isEmpty() && Set.of("mqueue", "devpts", "proc", "sysfs", "cgroup").contains(src)) {
        type = src;
      }
      if (type.isEmpty() && dest.equals("/dev")) {
        type = "tmpfs";
      }
      if (type.isEmpty()) {
        throw new IllegalArgumentException(
            field + ".mounts[" + i + "]: the mount of " + dest + " has no type");
      }
      if (src.isEmpty()) {
        src = type;
      }
      if (dest.isEmpty()) {
        dest = defaultDestination(type);
      }
      if (dest.isEmpty()) {
        throw new IllegalArgumentException(
            field + ".mounts[" + i + "]: the " + type + " mount has no destination");
      }
      put(byDest, dest, type, src, m.getOptions());
    }
    return new ArrayList<>(byDest.values());
  }

  private static String defaultDestination(String type) {
    return switch (type) {
      case "proc" -> "/proc";
      case "devpts" -> "/dev/pts";
      case "sysfs" -> "/sys";
      case "cgroup" -> "/sys/fs/cgroup";
      case "mqueue" -> "/dev/mqueue";
      default -> "";
    };
  }

  private static void put(
      Map<String, Map<String, Object>> byDest,
      String dest,
      String type,
      String source,
      List<String> options) {
    byDest.put(dest, mount(dest, type, source, options));
  }

  /** A mount as specs-go writes one: destination, then type, source, options when set. */
  static Map<String, Object> mount(String dest, String type, String source, List<String> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", dest);
    if (type != null && !type.isEmpty()) {
      m.put("type", type);
    }
    if (source != null && !source.isEmpty()) {
      m.put("source", source);
    }
    putList(m, "options", options);
    return m;
  }

  private static Map<String, Object> linux(String field, ContainerSpec spec, ContainerSpec label) {
    Map<String, Object> linux = new LinkedHashMap<>();
    putMap(linux, "sysctl", first(spec.getSysctl(), label.getSysctl()));
    List<Object> cgroupDevices = new ArrayList<>();
    List<Object> devices = new ArrayList<>();
    List<ContainerDevice> wanted = first(spec.getDevices(), label.getDevices());
    for (int i = 0; wanted != null && i < wanted.size(); i++) {
      ContainerDevice d = wanted.get(i);
      Map<String, Object> rule = new LinkedHashMap<>();
      rule.put("allow", true);
      rule.put("type", d.getType());
      if (d.getPath().equals("all")) {
        rule.put("access", "rwm");
        cgroupDevices.add(rule);
        continue;
      }
      if (d.getMode() == null || d.getMode().isEmpty()) {
        throw new IllegalArgumentException(
            field + ".devices[" + i + "].mode: a device node needs a mode, e.g. \"0666\"");
      }
      long major = d.getMajor() == null ? 0 : d.getMajor();
      long minor = d.getMinor() == null ? 0 : d.getMinor();
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("path", d.getPath());
      node.put("type", d.getType());
      node.put("major", major);
      node.put("minor", minor);
      node.put("fileMode", Long.parseLong(d.getMode(), 8));
      devices.add(node);
      rule.put("major", major);
      rule.put("minor", minor);
      rule.put("access", "rwm");
      cgroupDevices.add(rule);
    }
    Map<String, Object> resources = new LinkedHashMap<>();
    putList(resources, "devices", cgroupDevices);
    linux.put("resources", resources);
    String cgroupsPath = first(spec.getCgroupsPath(), label.getCgroupsPath());
    if (cgroupsPath != null && !cgroupsPath.isEmpty()) {
      linux.put("cgroupsPath", cgroupsPath);
    }
    linux.put("namespaces", namespaces(spec, label));
    putList(linux, "devices", devices);
    String propagation = first(spec.getRootfsPropagation(), label.getRootfsPropagation());
    if (propagation != null && !propagation.isEmpty()) {
      linux.put("rootfsPropagation", propagation);
    }
    putList(linux, "maskedPaths", first(spec.getMaskedPaths(), label.getMaskedPaths()));
    putList(linux, "readonlyPaths", first(spec.getReadonlyPaths(), label.getReadonlyPaths()));
    return linux;
  }

  /**
   * net, ipc and uts default to the host's (root), pid to a new one; a mount namespace is always
   * new; none and new mean a new namespace, a path joins one.
   */
  private static List<Object> namespaces(ContainerSpec spec, ContainerSpec label) {
    List<Object> ns = new ArrayList<>();
    namespace(ns, "network", firstText(spec.getNet(), label.getNet(), null, "root"));
    namespace(ns, "ipc", firstText(spec.getIpc(), label.getIpc(), null, "root"));
    namespace(ns, "uts", firstText(spec.getUts(), label.getUts(), null, "root"));
    namespace(ns, "pid", firstText(spec.getPid(), label.getPid(), null, ""));
    namespace(ns, "mount", "");
    return ns;
  }

  private static void namespace(List<Object> ns, String type, String value) {
    if (value.equals("host") || value.equals("root")) {
      return;
    }
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("type", type);
    boolean fresh =
        value.equals("new") || value.isEmpty() || (type.equals("network") && value.equals("none"));
    if (!fresh) {
      n.put("path", value);
    }
    ns.add(n);
  }

  private static <T> T first(T spec, T label) {
    return spec != null ? spec : label;
  }

  private static <T> T first(T spec, T label, T image) {
    return spec != null ? spec : label != null ? label : image;
  }

  /** The first non-empty text, as LinuxKit treats an empty string as unset. */
  private static String firstText(String a, String b, String c, String otherwise) {
    for (String s : new String[] {a, b, c}) {
      if (s != null && !s.isEmpty()) {
        return s;
      }
    }
    return otherwise;
  }

  private static boolean firstBool(Boolean spec, Boolean label) {
    return spec != null ? spec : label != null && label;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    if (a == null && b == null) {
      return null;
    }
    List<String> all = new ArrayList<>();
    if (a != null) {
      all.addAll(a);
    }
    if (b != null) {
      all.addAll(b);
    }
    return all;
  }

  /** The label's list followed by what the entry adds (LinuxKit's capabilities.add, binds.add). */
  private static List<String> merge(List<String> label, List<String> add) {
    List<String> all = new ArrayList<>();
    if (label != null) {
      all.addAll(label);
    }
    if (add != null) {
      all.addAll(add);
    }
    return all;
  }

  private static void putList(Map<String, Object> m, String key, List<?> list) {
    if (list != null && !list.isEmpty()) {
      m.put(key, List.copyOf(list));
    }
  }

  private static void putMap(Map<String, Object> m, String key, Map<String, String> map) {
    if (map != null && !map.isEmpty()) {
      m.put(key, new TreeMap<>(map));
    }
  }
}

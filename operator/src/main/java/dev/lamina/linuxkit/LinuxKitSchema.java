package dev.lamina.linuxkit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every key a linuxkit.yml may hold and the type of its value, as LinuxKit's own schema (its {@code
 * moby} package, read at linuxkit/linuxkit 3bf33c3) accepts them. A key not listed here is not
 * LinuxKit's: the reader refuses it. Whether Lamina can express a key is decided elsewhere ({@link
 * LinuxKitImport}); this is only what a valid file looks like.
 */
final class LinuxKitSchema {
  private LinuxKitSchema() {}

  /** The shape of a value. */
  sealed interface Shape permits Scalar, ListOf, StringMap, OneOf, Obj {}

  /** A YAML scalar of one type; {@code ID} is LinuxKit's "string or integer" (uid, gid). */
  enum Scalar implements Shape {
    STRING("a string"),
    BOOLEAN("true or false"),
    INTEGER("an integer"),
    ID("an integer or a name");

    final String words;

    Scalar(String words) {
      this.words = words;
    }
  }

  /** A sequence whose items all have one shape. */
  record ListOf(Shape item) implements Shape {}

  /** A mapping from any string key to a string. */
  record StringMap() implements Shape {}

  /** A string that must be one of a few values. */
  record OneOf(Set<String> values) implements Shape {}

  /** A mapping with a fixed set of keys, some of them required. */
  record Obj(Map<String, Shape> keys, Set<String> required) implements Shape {}

  private static final Shape STRINGS = new ListOf(Scalar.STRING);

  private static Obj obj(Object... keysAndShapes) {
    return objRequiring(Set.of(), keysAndShapes);
  }

  private static Obj objRequiring(Set<String> required, Object... keysAndShapes) {
    Map<String, Shape> keys = new LinkedHashMap<>();
    for (int i = 0; i < keysAndShapes.length; i += 2) {
      keys.put((String) keysAndShapes[i], (Shape) keysAndShapes[i + 1]);
    }
    return new Obj(java.util.Collections.unmodifiableMap(keys), required);
  }

  static final Obj ID_MAPPING =
      obj("hostID", Scalar.INTEGER, "containerID", Scalar.INTEGER, "size", Scalar.INTEGER);

  static final Obj MOUNT =
      obj(
          "destination",
          Scalar.STRING,
          "type",
          Scalar.STRING,
          "source",
          Scalar.STRING,
          "options",
          STRINGS,
          "uidmappings",
          new ListOf(ID_MAPPING),
          "gidmappings",
          new ListOf(ID_MAPPING));

  static final Obj DEVICE =
      obj(
          "path", Scalar.STRING,
          "type", Scalar.STRING,
          "major", Scalar.INTEGER,
          "minor", Scalar.INTEGER,
          "mode", Scalar.STRING);

  private static final Obj THROTTLE =
      obj("major", Scalar.INTEGER, "minor", Scalar.INTEGER, "rate", Scalar.INTEGER);

  static final Obj RESOURCES =
      obj(
          "devices",
          new ListOf(
              obj(
                  "allow", Scalar.BOOLEAN,
                  "type", Scalar.STRING,
                  "major", Scalar.INTEGER,
                  "minor", Scalar.INTEGER,
                  "access", Scalar.STRING)),
          "memory",
          obj(
              "limit", Scalar.INTEGER,
              "reservation", Scalar.INTEGER,
              "swap", Scalar.INTEGER,
              "kernel", Scalar.INTEGER,
              "kernelTCP", Scalar.INTEGER,
              "swappiness", Scalar.INTEGER,
              "disableOOMKiller", Scalar.BOOLEAN),
          "cpu",
          obj(
              "shares", Scalar.INTEGER,
              "quota", Scalar.INTEGER,
              "period", Scalar.INTEGER,
              "realtimeRuntime", Scalar.INTEGER,
              "realtimePeriod", Scalar.INTEGER,
              "cpus", Scalar.STRING,
              "mems", Scalar.STRING),
          "pids",
          obj("limit", Scalar.INTEGER),
          "blockio",
          obj(
              "weight", Scalar.INTEGER,
              "leafWeight", Scalar.INTEGER,
              "weightDevice",
                  new ListOf(
                      obj(
                          "major", Scalar.INTEGER,
                          "minor", Scalar.INTEGER,
                          "weight", Scalar.INTEGER,
                          "leafWeight", Scalar.INTEGER)),
              "throttleReadBpsDevice", new ListOf(THROTTLE),
              "throttleWriteBpsDevice", new ListOf(THROTTLE),
              "throttleReadIOPSDevice", new ListOf(THROTTLE),
              "throttleWriteIOPSDevice", new ListOf(THROTTLE)),
          "hugepageLimits",
          new ListOf(obj("pageSize", Scalar.INTEGER, "limit", Scalar.INTEGER)),
          "network",
          obj(
              "classID",
              Scalar.INTEGER,
              "priorities",
              new ListOf(obj("name", Scalar.STRING, "priority", Scalar.INTEGER))));

  static final Obj INTERFACE =
      obj(
          "name", Scalar.STRING,
          "add", Scalar.STRING,
          "peer", Scalar.STRING,
          "createInRoot", Scalar.BOOLEAN);

  static final Obj NAMESPACES =
      obj(
          "cgroup", Scalar.STRING,
          "ipc", Scalar.STRING,
          "mnt", Scalar.STRING,
          "net", Scalar.STRING,
          "pid", Scalar.STRING,
          "user", Scalar.STRING,
          "uts", Scalar.STRING);

  static final Obj RUNTIME =
      obj(
          "cgroups",
          STRINGS,
          "mounts",
          new ListOf(MOUNT),
          "mkdir",
          STRINGS,
          "interfaces",
          new ListOf(INTERFACE),
          "bindNS",
          NAMESPACES,
          "namespace",
          Scalar.STRING);

  /** One onboot, onshutdown or service container. */
  static final Obj CONTAINER =
      objRequiring(
          Set.of("name", "image"),
          "name",
          Scalar.STRING,
          "image",
          Scalar.STRING,
          "capabilities",
          STRINGS,
          "capabilities.add",
          STRINGS,
          "ambient",
          STRINGS,
          "mounts",
          new ListOf(MOUNT),
          "binds",
          STRINGS,
          "binds.add",
          STRINGS,
          "devices",
          new ListOf(DEVICE),
          "tmpfs",
          STRINGS,
          "command",
          STRINGS,
          "env",
          STRINGS,
          "cwd",
          Scalar.STRING,
          "net",
          Scalar.STRING,
          "pid",
          Scalar.STRING,
          "ipc",
          Scalar.STRING,
          "uts",
          Scalar.STRING,
          "userns",
          Scalar.STRING,
          "readonly",
          Scalar.BOOLEAN,
          "maskedPaths",
          STRINGS,
          "readonlyPaths",
          STRINGS,
          "uid",
          Scalar.ID,
          "gid",
          Scalar.ID,
          "additionalGids",
          new ListOf(Scalar.ID),
          "noNewPrivileges",
          Scalar.BOOLEAN,
          "hostname",
          Scalar.STRING,
          "oomScoreAdj",
          Scalar.INTEGER,
          "rootfsPropagation",
          Scalar.STRING,
          "cgroupsPath",
          Scalar.STRING,
          "resources",
          RESOURCES,
          "sysctl",
          new StringMap(),
          "rlimits",
          STRINGS,
          "uidMappings",
          new ListOf(ID_MAPPING),
          "gidMappings",
          new ListOf(ID_MAPPING),
          "annotations",
          new StringMap(),
          "runtime",
          RUNTIME);

  static final Obj KERNEL =
      obj(
          "image", Scalar.STRING,
          "cmdline", Scalar.STRING,
          "binary", Scalar.STRING,
          "tar", Scalar.STRING,
          "ucode", Scalar.STRING);

  static final Obj FILE =
      obj(
          "path", Scalar.STRING,
          "directory", Scalar.BOOLEAN,
          "symlink", Scalar.STRING,
          "contents", Scalar.STRING,
          "source", Scalar.STRING,
          "metadata", Scalar.STRING,
          "optional", Scalar.BOOLEAN,
          "mode", Scalar.STRING,
          "uid", Scalar.ID,
          "gid", Scalar.ID);

  static final Obj VOLUME =
      obj(
          "name", Scalar.STRING,
          "image", Scalar.STRING,
          "readonly", Scalar.BOOLEAN,
          "format", new OneOf(Set.of("oci", "filesystem")),
          "platforms", STRINGS);

  static final Obj TRUST = obj("image", STRINGS, "org", STRINGS);

  /** The whole file. */
  static final Obj ROOT =
      obj(
          "kernel", KERNEL,
          "init", STRINGS,
          "onboot", new ListOf(CONTAINER),
          "onshutdown", new ListOf(CONTAINER),
          "services", new ListOf(CONTAINER),
          "trust", TRUST,
          "files", new ListOf(FILE),
          "volumes", new ListOf(VOLUME));

  /** The sections that hold containers, in the order LinuxKit runs and numbers them. */
  static final List<String> CONTAINER_SECTIONS = List.of("onboot", "onshutdown", "services");
}

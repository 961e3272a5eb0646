package dev.lamina.container;

import java.util.List;
import java.util.Map;

/**
 * Where a container lives in the image, as LinuxKit lays it out: {@code
 * containers/onboot/NNN-name}, {@code containers/onshutdown/NNN-name} (NNN counting from 000 in
 * each list) and {@code containers/services/name}. A read-only container has its image in {@code
 * rootfs/}, bound onto itself; a writable one has it in {@code lower/}, with {@code tmp/} for the
 * tmpfs that holds the overlay's upper and work directories and an empty {@code rootfs/} the
 * overlay is mounted on. An image already unpacked for an earlier container is not unpacked again:
 * the later one's mounts name the earlier one's directory.
 *
 * @param dir the container's directory, relative to the image root
 * @param readonly whether the container's root is read-only
 * @param imageDir where the image is unpacked (relative): in this container, or in the earlier one
 *     that has the same image
 * @param unpackHere whether the image is unpacked in this container's directory
 */
public record BundleLayout(String dir, boolean readonly, String imageDir, boolean unpackHere) {
  /** The directory of container {@code index} of {@code section}. */
  public static String dir(String section, int index, String name) {
    return "containers/"
        + section
        + "/"
        + (section.equals("services") ? "" : String.format("%03d-", index))
        + name;
  }

  /** The layout of a container whose image is first seen here. */
  public static BundleLayout first(String dir, boolean readonly) {
    return new BundleLayout(dir, readonly, dir + (readonly ? "/rootfs" : "/lower"), true);
  }

  /** The layout of a container whose image was unpacked at {@code imageDir} already. */
  public static BundleLayout shared(String dir, boolean readonly, String imageDir) {
    return new BundleLayout(dir, readonly, imageDir, false);
  }

  /** The mounts that make rootfs/, first in runtime.json. */
  public List<Map<String, Object>> rootfsMounts() {
    if (readonly) {
      return List.of(OciConfig.mount("/" + dir + "/rootfs", null, "/" + imageDir, List.of("bind")));
    }
    String tmp = "/" + dir + "/tmp";
    return List.of(
        OciConfig.mount(tmp, "tmpfs", "tmpfs", null),
        OciConfig.mount(tmp, null, null, List.of("remount", "private")),
        OciConfig.mount(
            "/" + dir + "/rootfs",
            "overlay",
            "overlay",
            List.of(
                "lowerdir=/" + imageDir,
                "upperdir=" + tmp + "/upper",
                "workdir=" + tmp + "/work")));
  }
}

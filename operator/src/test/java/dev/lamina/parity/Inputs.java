package dev.lamina.parity;

import dev.lamina.parity.ImageTar.Layer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The images both builders get. Each case that the OCI changeset rules decide is here once: an
 * opaque directory and a whiteout inside one image and across two, a hard link to a file of a lower
 * layer, a hard link whose target a later layer deletes, implied parent directories, owners and
 * setuid/sticky modes.
 */
final class Inputs {
  private Inputs() {}

  /** The kernel image, as LinuxKit's kernels are made: {@code kernel} and {@code kernel.tar}. */
  static List<Layer> kernel(String arch) {
    try {
      return List.of(
          Layer.gz(
              new ImageTar()
                  .file("kernel", 0644, 0, 0, "KERNEL-" + arch)
                  .file("kernel.tar", 0644, 0, 0, modules(arch))
                  .bytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The modules tarball inside the kernel image. */
  static byte[] modules(String arch) {
    try {
      String release = "lib/modules/6.1.0-parity-" + arch;
      return new ImageTar()
          .dir("lib", 0755)
          .dir("lib/modules", 0755)
          .dir(release, 0755)
          .file(release + "/modules.dep", "kernel/drivers/parity.ko:\n")
          .file(release + "/kernel/drivers/parity.ko", 0644, 0, 0, "KO-" + arch)
          .bytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** init[0]: two layers. */
  static List<Layer> base(String arch) {
    try {
      byte[] lower =
          new ImageTar()
              .dir("bin", 0755)
              .file("bin/tool", 0755, 0, 0, "TOOL-" + arch)
              .hardlink("bin/tool-link", "bin/tool")
              .symlink("bin/sh", "tool")
              .file("bin/setuid", 04755, 0, 0, "SUID")
              .dir("etc", 0755)
              .file("etc/motd", "lower motd\n")
              .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
              .file("etc/hostname", "base\n")
              .dir("etc/conf.d", 0755)
              .file("etc/conf.d/old.conf", "old\n")
              .file("etc/conf.d/keep.conf", "keep\n")
              .dir("usr", 0755)
              .dir("usr/share", 0755)
              .dir("usr/share/doc", 0755)
              .file("usr/share/doc/a", "a\n")
              .file("usr/share/doc/b", "b\n")
              .dir("var", 0755)
              .dir("var/lib", 0755)
              .dir("var/lib/app", 0750, 1000, 1000)
              .file("var/lib/app/state", 0600, 1000, 1000, "state\n")
              .dir("tmp", 01777)
              .dir("data", 0755)
              .file("data/original", 0644, 1000, 100, "original\n")
              .file("data/keep", "keep\n")
              .hardlink("data/keep-link", "data/keep")
              .bytes();
      byte[] upper =
          new ImageTar()
              .opaque("usr/share/doc")
              .file("usr/share/doc/new", "new\n")
              .whiteout("etc/conf.d/old.conf")
              .hardlink("data/link", "data/original")
              .whiteout("data/keep")
              .file("etc/motd", "upper motd\n")
              .bytes();
      return List.of(Layer.gz(lower), Layer.gz(upper));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** init[1]: one layer that deletes and hides what init[0] wrote. */
  static List<Layer> extra(String arch) {
    try {
      return List.of(
          Layer.gz(
              new ImageTar()
                  .whiteout("etc/passwd")
                  .opaque("usr/share/doc")
                  .file("usr/share/doc/extra", "extra\n")
                  .dir("var/lib/app", 0700, 1000, 1000)
                  .file("opt/extra/bin/run", 0755, 0, 0, "RUN-" + arch)
                  .bytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A small image an onboot container runs: a tool, an etc, a hard link, owners. */
  static List<Layer> onboot(String arch) {
    try {
      return List.of(
          Layer.gz(
              new ImageTar()
                  .dir("bin", 0755)
                  .file("bin/tool", 0755, 0, 0, "TOOL-" + arch)
                  .hardlink("bin/hello", "bin/tool")
                  .dir("etc", 0755)
                  .file("etc/hostname", "onboot\n")
                  .dir("var/run", 0755)
                  .bytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The OSImage's files (and the linuxkit.yml's), as a layer for the reference unpack. */
  static byte[] files() {
    try {
      return new ImageTar().file("etc/parity/greeting", 0640, 0, 0, "hello\n").bytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

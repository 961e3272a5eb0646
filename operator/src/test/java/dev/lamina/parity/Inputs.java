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
      ImageTar lowerTar =
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
              .dir("srv", 0755)
              .dir("srv/was-dir", 0755)
              .file("srv/was-dir/inside", "inside\n")
              .file("srv/was-file", "file\n")
              .symlink("srv/was-link", "was-dir")
              .charDevice("lib/parity/null", 0666, 1, 3);
      generated(lowerTar, 0);
      byte[] lower = lowerTar.bytes();
      ImageTar upperTar =
          new ImageTar()
              .opaque("usr/share/doc")
              .file("usr/share/doc/new", "new\n")
              .whiteout("etc/conf.d/old.conf")
              .hardlink("data/link", "data/original")
              .whiteout("data/keep")
              .file("etc/motd", "upper motd\n")
              .file("srv/was-dir", "now a file\n")
              .dir("srv/was-file", 0700)
              .file("srv/was-file/inside", "now inside\n")
              .dir("srv/was-link", 0755)
              .file("srv/was-link/x", "x\n");
      generated(upperTar, 1);
      byte[] upper = upperTar.bytes();
      return List.of(Layer.gz(lower), Layer.gz(upper));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Many plain entries, so the comparison covers more than the special cases: layer 0 writes 240
   * files in 12 directories with modes and owners that vary; layer 1 rewrites every third file,
   * deletes every fifth and changes the mode of every seventh directory.
   */
  private static void generated(ImageTar t, int layer) throws IOException {
    int[] modes = {0644, 0600, 0755, 0440, 02755, 0664};
    for (int d = 0; d < 12; d++) {
      String dir = "usr/lib/gen/d" + d;
      if (layer == 0) {
        t.dir(dir, 0755, d % 3 == 0 ? 0 : 1000 + d, d % 2 == 0 ? 0 : 100);
      } else if (d % 7 == 0) {
        t.dir(dir, 0750, 0, 0);
      }
      for (int f = 0; f < 20; f++) {
        int i = d * 20 + f;
        String name = dir + "/f" + f;
        if (layer == 0) {
          t.file(name, modes[i % modes.length], i % 4 == 0 ? 0 : 1000 + i % 3, i % 5, "gen " + i);
        } else if (i % 5 == 0) {
          t.whiteout(name);
        } else if (i % 3 == 0) {
          t.file(name, 0644, 0, 0, "rewritten " + i);
        }
      }
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
                  .file(
                      "lib/modules/6.1.0-parity-" + arch + "/modules.dep",
                      "written by an init image\n")
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

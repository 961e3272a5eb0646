package dev.lamina.boot;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The test init that runs what an OSImage writes under /containers, as Layers made from Debian
 * packages: busybox-static for the shell and its tools, and runc with the libraries it links
 * (libseccomp2, libc6). It is a test fixture, not a product: DESIGN.md ("The containers boot test's
 * init") says what it does and how it differs from LinuxKit's init.
 */
public final class ContainerInit {
  /** The marker the init prints once every container has run; the harness waits for it. */
  public static final String MARKER = "LAMINA-CONTAINERS-DONE";

  /** Prefix of the init's own lines: a container's start, exit status, or a failure. */
  public static final String INIT = "LAMINA-INIT";

  /** The init powers off if services still run this long after the last one started. */
  static final int SERVICE_WAIT_SECONDS = 60;

  /** runc's overlay for writable containers (lower/ + tmp/): the one module it needs. */
  static final List<String> MODULES = List.of("kernel/fs/overlayfs/overlay.ko");

  /** Applets the init calls. */
  static final List<String> APPLETS =
      List.of(
          "cat",
          "cp",
          "echo",
          "grep",
          "kill",
          "mkdir",
          "modprobe",
          "mount",
          "poweroff",
          "sh",
          "sleep",
          "switch_root",
          "umount",
          "uname");

  /**
   * The packages of runc's layers and which of their files go in: runc itself, and the shared
   * libraries `ldd runc` names (libseccomp.so.2, libc.so.6 and the loader), without documentation
   * or libc6's gconv modules and tools under usr/.
   */
  static final Map<String, Predicate<String>> RUNC_PACKAGES = runcPackages();

  private static Map<String, Predicate<String>> runcPackages() {
    Map<String, Predicate<String>> packages = new LinkedHashMap<>();
    packages.put("runc", path -> path.equals("usr") || path.startsWith("usr/sbin"));
    packages.put("libseccomp2", path -> path.equals("usr") || path.startsWith("usr/lib"));
    packages.put("libc6", path -> path.startsWith("lib"));
    return packages;
  }

  /**
   * busybox has no JSON parser: this awk program prints a JSON document as one line per scalar,
   * PATH=VALUE, PATH being the keys and array indexes joined by dots ({@code
   * mounts.0.options.1=private}). Enough JSON for runtime.json (no unicode escapes).
   */
  static final String FLATTEN_JSON =
      """
      BEGIN { RS = "\\001" }
      { s = $0; n = length(s); pos = 1; value("") }
      function ws() { while (pos <= n && index(" \\t\\r\\n", substr(s, pos, 1)) > 0) pos++ }
      function key(path, k) { return path == "" ? k : path "." k }
      function str(   out, c) {
        pos++
        out = ""
        while (pos <= n && (c = substr(s, pos, 1)) != "\\"") {
          if (c == "\\\\") {
            pos++
            c = substr(s, pos, 1)
            if (c == "n") c = "\\n"; else if (c == "t") c = "\\t"
          }
          out = out c
          pos++
        }
        pos++
        return out
      }
      function value(path,   c, i, k, start) {
        ws()
        c = substr(s, pos, 1)
        if (c == "{") {
          pos++; ws()
          if (substr(s, pos, 1) == "}") { pos++; return }
          for (;;) {
            ws(); k = str(); ws(); pos++
            value(key(path, k))
            ws(); c = substr(s, pos, 1); pos++
            if (c != ",") return
          }
        } else if (c == "[") {
          pos++; ws()
          if (substr(s, pos, 1) == "]") { pos++; return }
          for (i = 0; ; i++) {
            value(key(path, i))
            ws(); c = substr(s, pos, 1); pos++
            if (c != ",") return
          }
        } else if (c == "\\"") {
          print path "=" str()
        } else {
          start = pos
          while (pos <= n && index(",]} \\t\\r\\n", substr(s, pos, 1)) == 0) pos++
          print path "=" substr(s, start, pos - start)
        }
      }
      """;

  private ContainerInit() {}

  /**
   * The init script. First pass (PID 1 on the initramfs): runc's pivot_root cannot leave the
   * initramfs, so the tree is copied to a tmpfs and switch_root runs the script again there. Second
   * pass: kernel filesystems, cgroup v2, the overlay module; each onboot container in name order,
   * waited for; each service in the background; then, once the services exit (a bounded wait), the
   * marker and power off.
   */
  public static String script() {
    return """
        #!/bin/sh
        # Lamina's containers boot-test init (a test fixture, not a product; see DESIGN.md).
        if [ "$1" != on-tmpfs ]; then
          if ! mount -t tmpfs -o mode=0755 root /mnt; then echo "%2$s no tmpfs root"; poweroff -f; fi
          for e in /*; do [ "$e" = /mnt ] || cp -a "$e" /mnt/; done
          exec switch_root /mnt /init on-tmpfs
        fi
        # The firmware's escape sequences may end without a newline; start the init's lines on their own.
        echo
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        mkdir -p /dev/pts /dev/shm
        mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
        mount -t tmpfs -o mode=1777 shm /dev/shm
        mount -t cgroup2 cgroup2 /sys/fs/cgroup
        mount -t tmpfs -o mode=0755 run /run
        mount -t tmpfs -o mode=1777 tmp /tmp
        modprobe overlay || echo "%2$s cannot load the overlay module"

        # Applies a bundle's runtime.json before runc runs it, as LinuxKit's service does: its mounts
        # in order, then mkdir, then cgroups; a path without a leading / is under rootfs/.
        prepare() {
          b=$1 f=/run/runtime.flat
          [ -f "$b/runtime.json" ] || return 0
          awk -f /etc/lamina/flatten-json.awk "$b/runtime.json" >"$f" || return 1
          # Every key is written, empty when unused; only a value set here is refused.
          for k in $(grep -E '^(interfaces\\.|bindNS\\.[a-z]+=.|namespace=.)' "$f" \\
            | sed 's/[.=].*//' | sort -u); do
            echo "%2$s $b: runtime.json $k is not supported by this init"
            return 1
          done
          i=0
          while grep -q "^mounts\\.$i\\." "$f"; do
            dest=$(sed -n "s/^mounts\\.$i\\.destination=//p" "$f")
            type=$(sed -n "s/^mounts\\.$i\\.type=//p" "$f")
            src=$(sed -n "s/^mounts\\.$i\\.source=//p" "$f")
            case "$dest" in /*) ;; *) dest=$b/rootfs/$dest ;; esac
            mkdir -p "$dest" || return 1
            # busybox mount takes propagation as make-private etc. (LinuxKit: private).
            opts=
            for o in $(sed -n "s/^mounts\\.$i\\.options\\.[0-9]*=//p" "$f"); do
              case "$o" in
                upperdir=* | workdir=*) mkdir -p "${o#*=}" || return 1 ;;
                private | rprivate | shared | rshared | slave | rslave | unbindable | runbindable)
                  o=make-$o ;;
              esac
              opts=${opts:+$opts,}$o
            done
            mount ${type:+-t "$type"} ${opts:+-o "$opts"} "${src:-none}" "$dest" || return 1
            i=$((i + 1))
          done
          for d in $(sed -n 's/^mkdir\\.[0-9]*=//p' "$f"); do
            case "$d" in /*) ;; *) d=$b/rootfs/$d ;; esac
            mkdir -p "$d" || return 1
          done
          for c in $(sed -n 's/^cgroups\\.[0-9]*=//p' "$f"); do
            mkdir -p "/sys/fs/cgroup/$c" || return 1
          done
        }

        for b in /containers/onboot/*; do
          [ -d "$b" ] || continue
          n=${b##*/}
          prepare "$b" || { echo "%2$s onboot $n cannot prepare its root"; continue; }
          echo "%2$s onboot $n start"
          runc run --bundle "$b" "$n" </dev/null
          echo "%2$s onboot $n exit=$?"
          runc delete -f "$n" 2>/dev/null
        done

        pids=
        for s in /containers/services/*; do
          [ -d "$s" ] || continue
          n=${s##*/}
          prepare "$s" || { echo "%2$s service $n cannot prepare its root"; continue; }
          echo "%2$s service $n start"
          ( runc run --bundle "$s" "$n" </dev/null; echo "%2$s service $n exit=$?" ) &
          pids="$pids $!"
        done
        # Services of this test exit on their own; a real one runs until shutdown.
        ( sleep %3$d; echo "%2$s services still running after %3$d s"; poweroff -f ) &
        for p in $pids; do wait "$p"; done
        echo "%1$s arch=$(uname -m) uptime=$(cat /proc/uptime)"
        poweroff -f
        """
        .formatted(MARKER, INIT, SERVICE_WAIT_SECONDS);
  }

  /** The init layer: the script and the directories it mounts on. */
  public static LayerTree initLayer() {
    return new LayerTree()
        .file("init", 0755, script().getBytes(UTF_8))
        .file("etc/lamina/flatten-json.awk", 0644, FLATTEN_JSON.getBytes(UTF_8))
        .directory("proc", 0555)
        .directory("sys", 0555)
        .directory("dev", 0755)
        .charDevice("dev/console", 0600, 5, 1)
        .directory("mnt", 0755)
        .directory("run", 0755)
        .directory("tmp", 01777);
  }

  /** busybox-static with the applets the script calls. */
  public static LayerTree busyboxLayer(String arch) {
    LayerTree tree = new LayerTree().file("bin/busybox", 0755, DebianPackages.busybox(arch));
    for (String applet : APPLETS) {
      tree.symlink("bin/" + applet, "busybox");
    }
    return tree;
  }

  /** One layer per package of {@link #RUNC_PACKAGES}, in that order, for an architecture. */
  public static Map<String, LayerTree> runcLayers(String arch) {
    Map<String, LayerTree> layers = new LinkedHashMap<>();
    RUNC_PACKAGES.forEach(
        (pkg, keep) ->
            layers.put(pkg, new LayerTree().copyOf(DebianPackages.packageRoot(arch, pkg), keep)));
    return layers;
  }

  /** The kernel layer with the overlay module in kernel.tar. */
  public static LayerTree kernelLayer(String arch) {
    return TestImages.kernelLayer(arch, MODULES);
  }
}

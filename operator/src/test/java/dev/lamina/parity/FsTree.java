package dev.lamina.parity;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A root filesystem as the entries a user ends up with: for each path its type, permission bits,
 * owner, contents (sha256 and size) or link target, and the other paths that share its inode (hard
 * links). Read from a tar as {@code tar -x} or the kernel's initramfs unpacker reads one (entries
 * in order, a later entry at a path replaces the earlier one, a hard link takes whatever inode its
 * target names at that moment), or from a directory that a tool unpacked. Modification times are
 * not compared: both builders keep the layers' times, and LinuxKit stamps its own on the entries it
 * generates.
 */
final class FsTree {
  enum Type {
    FILE,
    DIR,
    SYMLINK,
    CHAR,
    BLOCK,
    FIFO,
    /** A hard link whose target did not exist when it was read: extracting it fails. */
    DANGLING_LINK
  }

  /** What a path holds. Files that are hard links of each other share one Inode object. */
  static final class Inode {
    final Type type;
    final int mode;
    final long uid;
    final long gid;
    final String content;

    Inode(Type type, int mode, long uid, long gid, String content) {
      this.type = type;
      this.mode = mode;
      this.uid = uid;
      this.gid = gid;
      this.content = content;
    }
  }

  private final TreeMap<String, Inode> paths = new TreeMap<>();

  /** Anything the tar asked for that an extractor would refuse or not do, by path. */
  final Map<String, String> problems = new TreeMap<>();

  /** Every path, sorted. */
  Set<String> paths() {
    return paths.keySet();
  }

  int size() {
    return paths.size();
  }

  boolean contains(String path) {
    return paths.containsKey(path);
  }

  /**
   * The path's entry as one line, e.g. {@code file 0644 0:0 sha256:… (5 bytes) links=[b]}; null
   * when absent. Two trees agree on a path exactly when these lines are equal.
   */
  String describe(String path) {
    Inode n = paths.get(path);
    if (n == null) {
      return null;
    }
    String head =
        n.type.name().toLowerCase(java.util.Locale.ROOT)
            + " "
            + String.format("%04o", n.mode)
            + " "
            + n.uid
            + ":"
            + n.gid;
    String body = n.content == null ? "" : " " + n.content;
    if (n.type != Type.FILE) {
      return head + body;
    }
    List<String> others = new ArrayList<>();
    for (Map.Entry<String, Inode> e : paths.entrySet()) {
      if (e.getValue() == n && !e.getKey().equals(path)) {
        others.add(e.getKey());
      }
    }
    return head + body + (others.isEmpty() ? "" : " links=" + others);
  }

  /** Reads a tar with extraction semantics (see the class comment). */
  static FsTree fromTar(InputStream in) throws IOException {
    FsTree tree = new FsTree();
    TarArchiveInputStream tar = new TarArchiveInputStream(in);
    TarArchiveEntry e;
    while ((e = tar.getNextEntry()) != null) {
      String path = normalize(e.getName());
      if (path.isEmpty()) {
        continue;
      }
      tree.impliedParents(path);
      int mode = e.getMode() & 07777;
      long uid = e.getLongUserId();
      long gid = e.getLongGroupId();
      Inode existing = tree.paths.get(path);
      if (e.isDirectory()) {
        if (existing != null && existing.type == Type.DIR) {
          // A second header for a directory changes its metadata, as tar and the kernel do.
          tree.paths.put(path, new Inode(Type.DIR, mode, uid, gid, null));
          continue;
        }
        tree.replace(path, new Inode(Type.DIR, mode, uid, gid, null));
      } else if (e.isLink()) {
        String target = normalize(e.getLinkName());
        Inode t = tree.paths.get(target);
        if (t == null || t.type == Type.DIR) {
          tree.problems.put(
              path, "hard link to " + target + ", which does not exist at that point of the tar");
          tree.replace(path, new Inode(Type.DANGLING_LINK, 0, 0, 0, "-> " + target));
        } else {
          tree.replace(path, t);
        }
      } else if (e.isSymbolicLink()) {
        // Symlink permission bits mean nothing on Linux (lstat shows 0777), whatever tar says.
        tree.replace(path, new Inode(Type.SYMLINK, 0777, uid, gid, "-> " + e.getLinkName()));
      } else if (e.isCharacterDevice() || e.isBlockDevice()) {
        tree.replace(
            path,
            new Inode(
                e.isCharacterDevice() ? Type.CHAR : Type.BLOCK,
                mode,
                uid,
                gid,
                e.getDevMajor() + "," + e.getDevMinor()));
      } else if (e.isFIFO()) {
        tree.replace(path, new Inode(Type.FIFO, mode, uid, gid, null));
      } else if (e.isFile()) {
        tree.replace(path, new Inode(Type.FILE, mode, uid, gid, digest(tar)));
      } else {
        tree.problems.put(path, "tar entry of an unknown type skipped");
      }
    }
    return tree;
  }

  /**
   * Reads a newc cpio (an initrd, uncompressed) as the kernel's initramfs unpacker does: entries in
   * order, and a regular file with two or more links whose inode number was seen before becomes a
   * hard link of that file.
   */
  static FsTree fromCpio(InputStream in) throws IOException {
    FsTree tree = new FsTree();
    Map<Long, Inode> linked = new java.util.HashMap<>();
    CpioArchiveInputStream cpio = new CpioArchiveInputStream(in);
    CpioArchiveEntry e;
    while ((e = cpio.getNextCPIOEntry()) != null) {
      String path = normalize(e.getName());
      if (path.isEmpty()) {
        continue;
      }
      tree.impliedParents(path);
      int mode = (int) e.getMode() & 07777;
      long uid = e.getUID();
      long gid = e.getGID();
      Inode n;
      if (e.isDirectory()) {
        n = new Inode(Type.DIR, mode, uid, gid, null);
      } else if (e.isSymbolicLink()) {
        n =
            new Inode(
                Type.SYMLINK,
                0777,
                uid,
                gid,
                "-> " + new String(cpio.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      } else if (e.isRegularFile()) {
        Inode first = e.getNumberOfLinks() >= 2 ? linked.get(e.getInode()) : null;
        if (first != null) {
          n = first;
        } else {
          n = new Inode(Type.FILE, mode, uid, gid, digest(cpio));
          if (e.getNumberOfLinks() >= 2) {
            linked.put(e.getInode(), n);
          }
        }
      } else if (e.isCharacterDevice() || e.isBlockDevice()) {
        n =
            new Inode(
                e.isCharacterDevice() ? Type.CHAR : Type.BLOCK,
                mode,
                uid,
                gid,
                e.getRemoteDeviceMaj() + "," + e.getRemoteDeviceMin());
      } else {
        n = new Inode(Type.FIFO, mode, uid, gid, null);
      }
      Inode existing = tree.paths.get(path);
      if (n.type == Type.DIR && existing != null && existing.type == Type.DIR) {
        tree.paths.put(path, n);
      } else {
        tree.replace(path, n);
      }
    }
    return tree;
  }

  /** Reads a directory tree (not following symlinks), hard links grouped by inode number. */
  static FsTree fromDirectory(Path root) throws IOException {
    FsTree tree = new FsTree();
    Map<Object, Inode> byInode = new java.util.HashMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        if (p.equals(root)) {
          continue;
        }
        String path = root.relativize(p).toString();
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int rawMode = (Integer) a.get("mode");
        int mode = rawMode & 07777;
        long uid = ((Number) a.get("uid")).longValue();
        long gid = ((Number) a.get("gid")).longValue();
        Inode n;
        if (Files.isSymbolicLink(p)) {
          n = new Inode(Type.SYMLINK, 0777, uid, gid, "-> " + Files.readSymbolicLink(p));
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          n = new Inode(Type.DIR, mode, uid, gid, null);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Object key = a.get("ino") + ":" + a.get("dev");
          n = byInode.get(key);
          if (n == null) {
            try (InputStream in = Files.newInputStream(p)) {
              n = new Inode(Type.FILE, mode, uid, gid, digest(in));
            }
            byInode.put(key, n);
          }
        } else {
          int fmt = rawMode & 0170000;
          long rdev = ((Number) a.get("rdev")).longValue();
          Type t = fmt == 0020000 ? Type.CHAR : fmt == 0060000 ? Type.BLOCK : Type.FIFO;
          n =
              new Inode(
                  t,
                  mode,
                  uid,
                  gid,
                  t == Type.FIFO ? null : ((rdev >> 8) & 0xfff) + "," + (rdev & 0xff));
        }
        tree.paths.put(path, n);
      }
    }
    return tree;
  }

  /** A copy where the files {@code paths} keep type, mode and owner but not their contents. */
  FsTree contentIgnored(Set<String> names) {
    FsTree copy = new FsTree();
    Map<Inode, Inode> replaced = new IdentityHashMap<>();
    for (Map.Entry<String, Inode> e : paths.entrySet()) {
      Inode n = e.getValue();
      if (names.contains(e.getKey()) && n.type == Type.FILE) {
        n =
            replaced.computeIfAbsent(
                n, o -> new Inode(o.type, o.mode, o.uid, o.gid, "(compared field by field)"));
      }
      copy.paths.put(e.getKey(), n);
    }
    copy.problems.putAll(problems);
    return copy;
  }

  /** The entries under {@code dir}, with paths relative to it. */
  FsTree subtree(String dir) {
    FsTree copy = new FsTree();
    String prefix = dir + "/";
    for (Map.Entry<String, Inode> e :
        paths.subMap(prefix, prefix + Character.MAX_VALUE).entrySet()) {
      copy.paths.put(e.getKey().substring(prefix.length()), e.getValue());
    }
    problems.forEach(
        (p, why) -> {
          if (p.startsWith(prefix)) {
            copy.problems.put(p.substring(prefix.length()), why);
          }
        });
    return copy;
  }

  /** A copy without the paths {@code drop} names and everything under them. */
  FsTree without(Set<String> drop) {
    FsTree copy = new FsTree();
    for (Map.Entry<String, Inode> e : paths.entrySet()) {
      if (!under(e.getKey(), drop)) {
        copy.paths.put(e.getKey(), e.getValue());
      }
    }
    copy.problems.putAll(problems);
    return copy;
  }

  private static boolean under(String path, Set<String> roots) {
    for (String r : roots) {
      if (path.equals(r) || path.startsWith(r + "/")) {
        return true;
      }
    }
    return false;
  }

  /** The paths where the two trees differ, each with both descriptions (null when absent). */
  static Map<String, List<String>> diff(FsTree a, FsTree b) {
    Set<String> all = new TreeSet<>(a.paths.keySet());
    all.addAll(b.paths.keySet());
    Map<String, List<String>> out = new TreeMap<>();
    for (String p : all) {
      String da = a.describe(p);
      String db = b.describe(p);
      if (da == null || !da.equals(db)) {
        List<String> pair = new ArrayList<>();
        pair.add(da);
        pair.add(db);
        out.put(p, pair);
      }
    }
    return out;
  }

  /** The number of distinct inodes shared by more than one path. */
  int hardLinkGroups() {
    Map<Inode, Integer> count = new IdentityHashMap<>();
    for (Inode n : paths.values()) {
      if (n.type == Type.FILE) {
        count.merge(n, 1, Integer::sum);
      }
    }
    return (int) count.values().stream().filter(c -> c > 1).count();
  }

  private void replace(String path, Inode n) {
    Inode old = paths.get(path);
    if (old != null && old.type == Type.DIR && n.type != Type.DIR) {
      String prefix = path + "/";
      if (paths.ceilingKey(prefix) != null && paths.ceilingKey(prefix).startsWith(prefix)) {
        problems.put(path, "replaces a directory that is not empty");
      }
      paths.subMap(prefix, prefix + Character.MAX_VALUE).clear();
    }
    paths.put(path, n);
  }

  /** Parents a tar entry names without their own entry: tar creates them 0755, owned by root. */
  private void impliedParents(String path) {
    int slash = path.indexOf('/');
    while (slash > 0) {
      String parent = path.substring(0, slash);
      Inode p = paths.get(parent);
      if (p == null) {
        paths.put(parent, new Inode(Type.DIR, 0755, 0, 0, null));
      } else if (p.type != Type.DIR) {
        problems.put(path, "its parent " + parent + " is not a directory");
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  static String normalize(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.startsWith("/")) {
      n = n.substring(1);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
  }

  private static String digest(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      long size = 0;
      int r;
      while ((r = in.read(buf)) > 0) {
        md.update(buf, 0, r);
        size += r;
      }
      return "sha256:"
          + HexFormat.of().formatHex(md.digest()).substring(0, 16)
          + " ("
          + size
          + "B)";
    } catch (NoSuchAlgorithmException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}

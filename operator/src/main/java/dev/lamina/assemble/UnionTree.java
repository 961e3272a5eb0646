package dev.lamina.assemble;

import static dev.lamina.assemble.LayerUnion.utf8;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tree of names that changes are applied to, as OCI changesets: later entries win, whiteouts
 * delete, opaque whiteouts hide lower children, hard links share an inode, parents are implied, and
 * no path leaves the root. Names are raw bytes held as ISO-8859-1.
 */
final class UnionTree {
  private static final int MAX_SYMLINKS = 40;
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  private final long sourceDateEpoch;
  private final UnionNode root;

  /**
   * The directory the last entry went into, by the text of its parent path: tar writers list a
   * directory's entries together, so the next entry usually starts there, and a deep path costs its
   * last components instead of all of them. Valid while {@link #removals} is unchanged.
   */
  private String lastParent;

  private UnionNode lastDir;
  private long lastRemovals;
  private long removals;

  /** An empty tree whose implied directories are stamped with {@code sourceDateEpoch}. */
  UnionTree(long sourceDateEpoch) {
    this.sourceDateEpoch = sourceDateEpoch;
    this.root = new UnionNode("", null, impliedDir(), 0, Changeset.NO_SOURCE);
  }

  /**
   * Applies one change. Returns the node it replaced, which a lower changeset wrote, or null when
   * it replaced nothing (a directory over a directory only takes the newer metadata).
   */
  UnionNode apply(Changeset set, Change change) throws AssemblyException {
    TarReader.Header h = change.header();
    String name = h.name();
    UnionNode from = root;
    List<String> parts = null;
    if (lastDir != null
        && lastRemovals == removals
        && name.length() > lastParent.length() + 1
        && name.startsWith(lastParent)
        && name.charAt(lastParent.length()) == '/'
        && name.charAt(lastParent.length() + 1) != '/') {
      parts = components(set, name, name.substring(lastParent.length() + 1));
      from = lastDir;
    }
    if (parts == null || parts.isEmpty()) {
      parts = components(set, name);
      from = root;
    }
    if (parts.isEmpty()) {
      return null; // the root itself: its metadata is not part of either archive
    }
    String base = parts.get(parts.size() - 1);
    List<String> parentParts = parts.subList(0, parts.size() - 1);
    for (String p : parentParts) {
      if (p.startsWith(WHITEOUT)) {
        return null; // inside aufs metadata such as .wh..wh.plnk: never part of the image
      }
    }
    if (base.startsWith(WHITEOUT)) {
      whiteout(set, name, from, parentParts, base);
      return null;
    }
    Inode inode;
    if (h.type() == TarReader.HARDLINK) {
      inode = linkTarget(set, h);
    } else {
      inode =
          new Inode(
              h.type(),
              h.mode(),
              h.uid(),
              h.gid(),
              h.mtime(),
              h.type() == TarReader.SYMLINK ? h.linkName() : null,
              h.devMajor(),
              h.devMinor(),
              change.content(),
              h.xattrs().isEmpty() ? Map.of() : new TreeMap<>(h.xattrs()));
    }
    UnionNode dir = walk(set, name, from, parentParts, true);
    remember(name, base, dir);
    UnionNode existing = dir.children.get(base);
    if (existing != null && existing.isDir() && inode.type == TarReader.DIR) {
      Inode d = existing.inode;
      d.mode = inode.mode;
      d.uid = inode.uid;
      d.gid = inode.gid;
      d.mtime = inode.mtime;
      d.xattrs = inode.xattrs;
      existing.blob = set.blob();
      existing.source = set.source();
      return null;
    }
    if (existing != null) {
      removals++;
    }
    dir.children.put(base, child(set, name, dir, base, inode));
    if (existing != null) {
      remember(name, base, dir); // only a child of dir was replaced
    }
    return existing;
  }

  private void whiteout(
      Changeset set, String name, UnionNode from, List<String> parentParts, String base)
      throws AssemblyException {
    UnionNode dir = walk(set, name, from, parentParts, false);
    if (dir == null) {
      return;
    }
    removals++;
    if (base.equals(OPAQUE)) {
      if (dir.prunedIn != set.blob()) {
        dir.children.values().removeIf(c -> prune(c, set.blob()));
        dir.prunedIn = set.blob();
      }
    } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
      String hidden = base.substring(WHITEOUT.length());
      UnionNode n = dir.children.get(hidden);
      if (n != null && prune(n, set.blob())) {
        dir.children.remove(hidden);
      }
    }
    remember(name, base, dir); // whiteouts remove only what is below dir
  }

  /**
   * Puts everything of {@code other} under {@code prefix} (raw bytes, relative), replacing what is
   * there; missing parents of {@code prefix} are implied. Nodes keep their inodes, so hard links of
   * {@code other} stay hard links, and {@code other} must not be changed afterwards.
   */
  void graft(Changeset set, String prefix, UnionTree other) throws AssemblyException {
    List<String> parts = components(set, prefix);
    UnionNode top = walk(set, prefix, root, parts, true);
    removals++;
    ArrayDeque<UnionNode[]> todo = new ArrayDeque<>();
    todo.push(new UnionNode[] {other.root, top});
    while (!todo.isEmpty()) {
      UnionNode[] pair = todo.pop();
      for (UnionNode c :
          pair[0].children.values().stream().sorted(Comparator.comparing(n -> n.name)).toList()) {
        UnionNode copy = child(set, prefix + "/" + c.path(), pair[1], c.name, c.inode);
        pair[1].children.put(c.name, copy);
        if (c.isDir()) {
          todo.push(new UnionNode[] {c, copy});
        }
      }
    }
  }

  /** The node at {@code path} without following a symlink at its end, or null. */
  UnionNode find(Changeset set, String path) throws AssemblyException {
    List<String> parts = components(set, path);
    if (parts.isEmpty()) {
      return root;
    }
    UnionNode dir = walk(set, path, root, parts.subList(0, parts.size() - 1), false);
    return dir == null ? null : dir.children.get(parts.get(parts.size() - 1));
  }

  /** Every entry except the root, sorted by path bytes (so parents come before children). */
  List<LayerUnion.Entry> entries() {
    List<Map.Entry<String, UnionNode>> nodes = new ArrayList<>();
    Map<Inode, Integer> links = new IdentityHashMap<>();
    ArrayDeque<Map.Entry<String, UnionNode>> todo = new ArrayDeque<>();
    todo.push(Map.entry("", root));
    while (!todo.isEmpty()) {
      Map.Entry<String, UnionNode> e = todo.pop();
      for (UnionNode child : e.getValue().children.values()) {
        String path = e.getKey().isEmpty() ? child.name : e.getKey() + "/" + child.name;
        Map.Entry<String, UnionNode> ce = Map.entry(path, child);
        nodes.add(ce);
        links.merge(child.inode, 1, Integer::sum);
        if (child.isDir()) {
          todo.push(ce);
        }
      }
    }
    nodes.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
    List<LayerUnion.Entry> entries = new ArrayList<>(nodes.size());
    for (Map.Entry<String, UnionNode> e : nodes) {
      UnionNode n = e.getValue();
      int nlink = links.get(n.inode);
      if (n.isDir()) {
        nlink = 2 + (int) n.children.values().stream().filter(UnionNode::isDir).count();
      }
      entries.add(new LayerUnion.Entry(e.getKey(), n.inode, nlink));
    }
    return entries;
  }

  /**
   * The inode at {@code path} (raw bytes), following symlinks inside the root, or null; {@code set}
   * names where the lookup comes from in messages.
   */
  Inode lookup(Changeset set, String path) throws AssemblyException {
    List<String> parts = components(set, path);
    for (int i = 0; i <= MAX_SYMLINKS && !parts.isEmpty(); i++) {
      String last = parts.get(parts.size() - 1);
      if (last.equals("..")) {
        return null;
      }
      UnionNode dir = walk(set, path, root, parts.subList(0, parts.size() - 1), false);
      UnionNode n = dir == null ? null : dir.children.get(last);
      if (n == null || n.inode.type != TarReader.SYMLINK) {
        return n == null ? null : n.inode;
      }
      List<String> next = new ArrayList<>();
      String target = n.inode.linkTarget;
      for (String p : ((target.startsWith("/") ? "" : dir.path() + "/") + target).split("/")) {
        if (!p.isEmpty() && !p.equals(".")) {
          next.add(p);
        }
      }
      parts = next;
    }
    return null;
  }

  /** Remembers that the parent text of {@code name} is {@code dir}, when its last part is base. */
  private void remember(String name, String base, UnionNode dir) {
    int end = name.length();
    while (end > 0 && name.charAt(end - 1) == '/') {
      end--;
    }
    int slash = name.lastIndexOf('/', end - 1);
    if (slash > 0
        && name.regionMatches(slash + 1, base, 0, base.length())
        && slash + 1 + base.length() == end) {
      lastParent = name.substring(0, slash);
      lastDir = dir;
      lastRemovals = removals;
    }
  }

  /**
   * Removes what lower changesets put under {@code top}; true when {@code top} itself should go.
   * Iterative, children before parents, so a deep tree cannot overflow the stack; a directory
   * already pruned by this changeset holds nothing lower and is not walked again, so many opaque
   * whiteouts in one layer cost no more than one.
   */
  private static boolean prune(UnionNode top, int blob) {
    List<UnionNode> order = new ArrayList<>();
    ArrayDeque<UnionNode> todo = new ArrayDeque<>();
    todo.push(top);
    while (!todo.isEmpty()) {
      UnionNode n = todo.pop();
      order.add(n);
      if (n.isDir() && n.prunedIn != blob) {
        n.children.values().forEach(todo::push);
      }
    }
    for (int i = order.size() - 1; i >= 0; i--) {
      UnionNode n = order.get(i);
      if (n.isDir() && n.prunedIn != blob) {
        n.children.values().removeIf(c -> c.pruned);
        n.prunedIn = blob;
      }
      n.pruned = n.blob < blob && (!n.isDir() || n.children.isEmpty());
    }
    return top.pruned;
  }

  /** A new node under {@code dir}; its path must fit the kernel's PATH_MAX. */
  private static UnionNode child(
      Changeset set, String entry, UnionNode dir, String name, Inode inode)
      throws AssemblyException {
    UnionNode n = new UnionNode(name, dir, inode, set.blob(), set.source());
    if (n.pathLength > TarReader.MAX_NAME) {
      throw new AssemblyException(
          AssemblyException.REASON_INVALID_ENTRY,
          set.label()
              + ": entry \""
              + utf8(entry.length() > 200 ? entry.substring(0, 200) + "…" : entry)
              + "\" makes a path of "
              + n.pathLength
              + " bytes in the image; the kernel unpacks at most "
              + TarReader.MAX_NAME);
    }
    return n;
  }

  private Inode linkTarget(Changeset set, TarReader.Header h) throws AssemblyException {
    List<String> parts = components(set, h.linkName());
    UnionNode dir =
        parts.isEmpty()
            ? null
            : walk(set, h.name(), root, parts.subList(0, parts.size() - 1), false);
    UnionNode target = dir == null ? null : dir.children.get(parts.get(parts.size() - 1));
    if (target == null || target.isDir()) {
      throw new AssemblyException(
          set.label()
              + ": hard link \""
              + utf8(h.name())
              + "\" points to \""
              + utf8(h.linkName())
              + "\", which is not a file in the union");
    }
    return target.inode;
  }

  /**
   * The directory that {@code parts} names, following symlinks inside the root. With {@code
   * create}, missing directories are implied; without, a missing one gives null.
   */
  private UnionNode walk(
      Changeset set, String entry, UnionNode from, List<String> parts, boolean create)
      throws AssemblyException {
    ArrayDeque<String> todo = new ArrayDeque<>(parts);
    UnionNode cur = from;
    int links = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (cur == root) {
          throw new AssemblyException(
              set.label()
                  + ": entry \""
                  + utf8(entry)
                  + "\" goes through a symlink that points outside the image root");
        }
        cur = cur.parent;
        continue;
      }
      UnionNode child = cur.children.get(c);
      if (child == null) {
        if (!create) {
          return null;
        }
        child = child(set, entry, cur, c, impliedDir());
        cur.children.put(c, child);
      } else if (child.inode.type == TarReader.SYMLINK) {
        if (++links > MAX_SYMLINKS) {
          throw new AssemblyException(
              set.label() + ": entry \"" + utf8(entry) + "\" goes through a symlink loop");
        }
        String target = child.inode.linkTarget;
        if (target.startsWith("/")) {
          cur = root;
        }
        String[] t = target.split("/");
        for (int i = t.length - 1; i >= 0; i--) {
          todo.addFirst(t[i]);
        }
        continue;
      } else if (!child.isDir()) {
        if (!create) {
          return null;
        }
        throw new AssemblyException(
            set.label()
                + ": entry \""
                + utf8(entry)
                + "\" needs \""
                + utf8(child.path())
                + "\" to be a directory, but it is not");
      }
      cur = child;
    }
    return cur;
  }

  /** The components of an entry name; absolute names and ".." are errors naming entry and layer. */
  private static List<String> components(Changeset set, String name) throws AssemblyException {
    return components(set, name, name);
  }

  /** The components of {@code text}, a part of entry {@code name} (which messages show). */
  private static List<String> components(Changeset set, String name, String text)
      throws AssemblyException {
    if (text.startsWith("/")) {
      throw new AssemblyException(
          set.label()
              + ": entry \""
              + utf8(name)
              + "\" is an absolute path; entries must be relative to the image root");
    }
    List<String> parts = new ArrayList<>();
    for (String p : text.split("/")) {
      if (p.equals("..")) {
        throw new AssemblyException(
            set.label()
                + ": entry \""
                + utf8(name)
                + "\" contains \"..\"; entries must stay inside the image root");
      }
      if (!p.isEmpty() && !p.equals(".")) {
        parts.add(p);
      }
    }
    return parts;
  }

  Inode impliedDir() {
    return new Inode(TarReader.DIR, 0755, 0, 0, sourceDateEpoch, null, 0, 0, null, Map.of());
  }
}

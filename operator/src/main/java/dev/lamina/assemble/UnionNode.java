package dev.lamina.assemble;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A name in the {@link UnionTree}. {@code blob} is the changeset that last wrote it; whiteouts use
 * it.
 */
final class UnionNode {
  final String name;
  final UnionNode parent;
  final Inode inode;
  final Map<String, UnionNode> children;

  /** Bytes of the path from the root, as the cpio name holds it without its NUL. */
  final int pathLength;

  int blob;
  int source;

  /** The changeset that last pruned this directory: it holds nothing lower since. */
  int prunedIn;

  boolean pruned;

  UnionNode(String name, UnionNode parent, Inode inode, int blob, int source) {
    this.name = name;
    this.parent = parent;
    this.pathLength =
        parent == null
            ? 0
            : parent.parent == null ? name.length() : parent.pathLength + 1 + name.length();
    this.inode = inode;
    this.children = inode.type == TarReader.DIR ? new HashMap<>() : null;
    this.blob = blob;
    this.source = source;
  }

  boolean isDir() {
    return children != null;
  }

  String path() {
    ArrayDeque<String> names = new ArrayDeque<>();
    for (UnionNode n = this; n.parent != null; n = n.parent) {
      names.push(n.name);
    }
    return String.join("/", names);
  }
}

package dev.lamina.assemble;

import java.util.Map;

/** What a name in the union points to; hard links share one. Directories are never shared. */
final class Inode {
  final char type;
  int mode;
  long uid;
  long gid;
  long mtime;
  final String linkTarget;
  final int devMajor;
  final int devMinor;
  final Spool.Content content;
  Map<String, byte[]> xattrs;

  Inode(
      char type,
      int mode,
      long uid,
      long gid,
      long mtime,
      String linkTarget,
      int devMajor,
      int devMinor,
      Spool.Content content,
      Map<String, byte[]> xattrs) {
    this.type = type;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.mtime = mtime;
    this.linkTarget = linkTarget;
    this.devMajor = devMajor;
    this.devMinor = devMinor;
    this.content = content;
    this.xattrs = xattrs;
  }

  long size() {
    return content == null ? 0 : content.size();
  }
}

package dev.lamina.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** A filesystem tree held in memory that writes itself as a reproducible tar. */
public final class LayerTree {
  private enum Kind {
    DIRECTORY,
    FILE,
    SYMLINK,
    CHAR_DEVICE
  }

  private record Entry(Kind kind, int mode, byte[] contents, String target, int major, int minor) {}

  // Sorted by path, so parents come before children and the tar's order never depends on how
  // the tree was put together.
  private final Map<String, Entry> entries = new TreeMap<>();

  public LayerTree directory(String path, int mode) {
    return put(path, new Entry(Kind.DIRECTORY, mode, null, null, 0, 0));
  }

  public LayerTree file(String path, int mode, byte[] contents) {
    return put(path, new Entry(Kind.FILE, mode, contents.clone(), null, 0, 0));
  }

  public LayerTree file(String path, int mode, Path source) {
    try {
      return file(path, mode, Files.readAllBytes(source));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public LayerTree symlink(String path, String target) {
    return put(path, new Entry(Kind.SYMLINK, 0777, null, target, 0, 0));
  }

  public LayerTree charDevice(String path, int mode, int major, int minor) {
    return put(path, new Entry(Kind.CHAR_DEVICE, mode, null, null, major, minor));
  }

  /**
   * Adds what lies under {@code root} (an unpacked package) whose relative path {@code keep}
   * accepts: directories, regular files and symbolic links with their permission bits.
   */
  public LayerTree copyOf(Path root, Predicate<String> keep) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted().toList()) {
        String rel = root.relativize(p).toString();
        if (rel.isEmpty() || !keep.test(rel)) {
          continue;
        }
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        if (Files.isSymbolicLink(p)) {
          symlink(rel, Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p)) {
          directory(rel, mode);
        } else if (Files.isRegularFile(p)) {
          file(rel, mode, p);
        } else {
          throw new IllegalArgumentException("not a file, directory or symlink: " + p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  private LayerTree put(String path, Entry entry) {
    String clean = clean(path);
    // Parents are written explicitly (0755) unless given: some tools mishandle implied ones.
    for (int slash = clean.indexOf('/'); slash > 0; slash = clean.indexOf('/', slash + 1)) {
      entries.putIfAbsent(
          clean.substring(0, slash), new Entry(Kind.DIRECTORY, 0755, null, null, 0, 0));
    }
    entries.put(clean, entry);
    return this;
  }

  private static String clean(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.isEmpty() || p.endsWith("/") || p.contains("//") || ("/" + p + "/").contains("/../")) {
      throw new IllegalArgumentException("bad path in layer tree: " + path);
    }
    return p;
  }

  /** Writes the tree as a POSIX tar: owner 0:0, modification time 0, entries in path order. */
  public void writeTar(OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      String path = e.getKey();
      Entry entry = e.getValue();
      TarArchiveEntry header =
          switch (entry.kind()) {
            case DIRECTORY -> new TarArchiveEntry(path + "/", TarConstants.LF_DIR);
            case FILE -> new TarArchiveEntry(path, TarConstants.LF_NORMAL);
            case SYMLINK -> new TarArchiveEntry(path, TarConstants.LF_SYMLINK);
            case CHAR_DEVICE -> new TarArchiveEntry(path, TarConstants.LF_CHR);
          };
      header.setMode(entry.mode());
      header.setIds(0, 0);
      header.setNames("root", "root");
      header.setModTime(0L);
      if (entry.kind() == Kind.FILE) {
        header.setSize(entry.contents().length);
      } else if (entry.kind() == Kind.SYMLINK) {
        header.setLinkName(entry.target());
      } else if (entry.kind() == Kind.CHAR_DEVICE) {
        header.setDevMajor(entry.major());
        header.setDevMinor(entry.minor());
      }
      tar.putArchiveEntry(header);
      if (entry.kind() == Kind.FILE) {
        tar.write(entry.contents());
      }
      tar.closeArchiveEntry();
    }
    tar.finish();
  }

  public byte[] toTar() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      writeTar(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}

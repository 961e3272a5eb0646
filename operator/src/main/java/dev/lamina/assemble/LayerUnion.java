package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.lamina.api.FileSpec;
import dev.lamina.api.Overlap;
import dev.lamina.oci.IoSupplier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The union of filesystem layers, applied as OCI changesets: later entries win, whiteouts delete,
 * opaque whiteouts hide lower children, hard links share an inode, parents are implied, and no path
 * leaves the root. File contents are spooled to a private temp directory; only metadata is on the
 * heap. Closing deletes the spool.
 *
 * <p>Layer mtimes are kept as they are in the layers (they are inputs, so outputs stay
 * reproducible); only entries the union makes up (implied directories, {@link FileSpec} entries)
 * are stamped with {@code sourceDateEpoch}.
 */
public final class LayerUnion implements AutoCloseable {
  /** How many overlaps {@link #overlaps()} lists; {@link #overlapCount()} counts them all. */
  public static final int MAX_LISTED_OVERLAPS = 50;

  private final Path spoolDir;
  private final Budget budget;
  private final long sourceDateEpoch;
  private final int threads;
  private final List<Spool> spools = new ArrayList<>();
  private final List<String> sourceNames = new ArrayList<>();
  private final List<Overlap> overlaps = new ArrayList<>();
  private final UnionTree tree;
  private long overlapCount;
  private int blobs;

  /** One entry of the union as the writers see it; {@code path} holds raw bytes as ISO-8859-1. */
  record Entry(String path, Inode inode, int nlink) {}

  /** Applies {@code layers} in order, reading their blobs on as many threads as there are cores. */
  public LayerUnion(List<LayerSource> layers, Path tempDir, long sourceDateEpoch)
      throws IOException {
    this(layers, tempDir, sourceDateEpoch, new Budget(UnionLimits.DEFAULTS));
  }

  /**
   * Applies {@code layers} in order on as many threads as there are cores, charging what they
   * unpack to {@code budget} (which may be shared with other unions of the same build).
   */
  public LayerUnion(List<LayerSource> layers, Path tempDir, long sourceDateEpoch, Budget budget)
      throws IOException {
    this(layers, tempDir, sourceDateEpoch, Runtime.getRuntime().availableProcessors(), budget);
  }

  /** Applies {@code layers} in order, decompressing up to {@code threads} blobs at once. */
  public LayerUnion(List<LayerSource> layers, Path tempDir, long sourceDateEpoch, int threads)
      throws IOException {
    this(layers, tempDir, sourceDateEpoch, threads, new Budget(UnionLimits.DEFAULTS));
  }

  /** Applies {@code layers} in order, decompressing up to {@code threads} blobs at once. */
  public LayerUnion(
      List<LayerSource> layers, Path tempDir, long sourceDateEpoch, int threads, Budget budget)
      throws IOException {
    this.budget = budget;
    this.spoolDir = Files.createTempDirectory(tempDir, "lamina-union-");
    this.sourceDateEpoch = sourceDateEpoch;
    this.threads = Math.max(1, threads);
    this.tree = new UnionTree(sourceDateEpoch);
    try {
      addLayers(layers);
    } catch (IOException | RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  private void addLayers(List<LayerSource> layers) throws IOException {
    List<Changeset> sets = new ArrayList<>();
    List<ChangesetReader.Blob> reads = new ArrayList<>();
    for (LayerSource layer : layers) {
      int source = sourceNames.size();
      sourceNames.add(layer.name());
      int count = layer.blobs().size();
      for (int i = 0; i < count; i++) {
        Changeset set = new Changeset(layer.name(), ++blobs, source);
        String label = set.label() + (count > 1 ? " blob " + (i + 1) + " of " + count : "");
        sets.add(set);
        reads.add(new ChangesetReader.Blob(label, layer.blobs().get(i), newSpool(label)));
      }
    }
    ChangesetReader.readInOrder(reads, threads, (i, changes) -> apply(sets.get(i), changes));
  }

  /**
   * Adds a tarball (gzip, zstd or plain) on top of the union as one more changeset, such as the
   * kernel layer's modules tarball. Its writes are not reported as overlaps.
   */
  public void addTarball(String name, IoSupplier<InputStream> tarball) throws IOException {
    Changeset set = new Changeset(name, ++blobs, Changeset.NO_SOURCE);
    String label = "tarball \"" + name + "\"";
    apply(set, ChangesetReader.read(new ChangesetReader.Blob(label, tarball, newSpool(label))));
  }

  /** Adds generated entries last, each stamped with {@code sourceDateEpoch}. */
  public void addFiles(List<FileSpec> files) throws IOException {
    addFiles(files, Map.of());
  }

  /**
   * Puts the whole of {@code other} under {@code prefix} (e.g. a container's image under {@code
   * containers/services/getty/rootfs}), as one more changeset; hard links, modes, owners and
   * contents are kept. {@code other} must stay open until this union is written, since its files
   * are read from its spool then.
   */
  public void graft(String prefix, LayerUnion other) throws IOException {
    Changeset set = new Changeset(prefix, ++blobs, Changeset.NO_SOURCE);
    tree.graft(set, raw(prefix), other.tree);
  }

  /** Removes {@code paths} (raw whiteouts of one changeset); a missing path is no error. */
  public void remove(String label, List<String> paths) throws IOException {
    Changeset set = new Changeset(label, ++blobs, Changeset.NO_SOURCE);
    List<Change> changes = new ArrayList<>();
    for (String p : paths) {
      String path = raw(p);
      int slash = path.lastIndexOf('/');
      String whiteout =
          slash < 0
              ? ".wh." + path
              : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
      changes.add(
          new Change(
              new TarReader.Header(
                  whiteout, TarReader.REGULAR, 0644, 0, 0, sourceDateEpoch, 0, "", 0, 0, Map.of()),
              null));
    }
    apply(set, changes);
  }

  /** Whether anything (a symlink included, not followed) is at {@code path}. */
  public boolean exists(String path) throws IOException {
    Changeset set = new Changeset(String.join(", ", sourceNames), 0, Changeset.NO_SOURCE);
    return tree.find(set, raw(path)) != null;
  }

  /** The mode, uid and gid of the regular file at {@code path} (not following), or null. */
  public long[] regularFileOwner(String path) throws IOException {
    Changeset set = new Changeset(String.join(", ", sourceNames), 0, Changeset.NO_SOURCE);
    UnionNode n = tree.find(set, raw(path));
    if (n == null || n.inode.type != TarReader.REGULAR) {
      return null;
    }
    return new long[] {n.inode.mode, n.inode.uid, n.inode.gid};
  }

  /**
   * Adds generated entries last, each stamped with {@code sourceDateEpoch}; an owner given by a
   * container's name is that container's id in {@code containerIds}.
   */
  public void addFiles(List<FileSpec> files, Map<String, Long> containerIds) throws IOException {
    addFiles("spec.files", files, containerIds);
  }

  /** As {@link #addFiles(List, Map)}, the changeset named {@code label} in messages. */
  public void addFiles(String label, List<FileSpec> files, Map<String, Long> containerIds)
      throws IOException {
    addFiles(label, files, containerIds, f -> null);
  }

  /** The contents of a file entry given by source or metadata; null to leave the entry out. */
  public interface GeneratedContents {
    byte[] of(FileSpec file) throws IOException;
  }

  /**
   * As {@link #addFiles(String, List, Map)}; the contents of entries with a source or metadata come
   * from {@code generated}, and an entry it gives null for is left out (an optional source the
   * Layer doesn't have).
   */
  public void addFiles(
      String label,
      List<FileSpec> files,
      Map<String, Long> containerIds,
      GeneratedContents generated)
      throws IOException {
    Changeset set = new Changeset(label, ++blobs, Changeset.NO_SOURCE);
    Spool spool = newSpool(label);
    List<Change> changes = new ArrayList<>();
    for (FileSpec f : files) {
      if (f.getPath() == null) {
        throw new AssemblyException(label + ": an entry has no path");
      }
      String path = raw(f.getPath());
      char type;
      String link = "";
      Spool.Content content = null;
      if (f.getSymlink() != null) {
        type = TarReader.SYMLINK;
        link = raw(f.getSymlink());
      } else if (f.isDirectory()) {
        type = TarReader.DIR;
      } else {
        type = TarReader.REGULAR;
        byte[] data = f.getContents() == null ? new byte[0] : f.getContents().getBytes(UTF_8);
        if (f.getSource() != null || f.getMetadata() != null) {
          data = generated.of(f);
          if (data == null) {
            continue;
          }
        }
        content = data.length == 0 ? null : spool.append(data);
      }
      spool.meter().entry(path, path.length() + link.length());
      long uid;
      long gid;
      try {
        uid = f.getUid() == null ? 0 : f.getUid().resolve(containerIds);
        gid = f.getGid() == null ? 0 : f.getGid().resolve(containerIds);
      } catch (IllegalArgumentException e) {
        throw new AssemblyException(
            label + " " + FileSpec.quote(f.getPath()) + ": " + e.getMessage());
      }
      TarReader.Header h =
          new TarReader.Header(
              path,
              type,
              f.effectiveMode() & 07777,
              uid,
              gid,
              sourceDateEpoch,
              content == null ? 0 : content.size(),
              link,
              0,
              0,
              Map.of());
      changes.add(new Change(h, content));
    }
    spool.seal();
    apply(set, changes);
  }

  /** Overlaps between distinct layers, in the order they happened, at most 50. */
  public List<Overlap> overlaps() {
    return Collections.unmodifiableList(overlaps);
  }

  /** The number of overlaps, including those not listed. */
  public long overlapCount() {
    return overlapCount;
  }

  /** Whether {@code path} is a regular file of the union, following symlinks inside the root. */
  public boolean isRegularFile(String path) throws IOException {
    Inode inode = lookup(path);
    return inode != null && inode.type == TarReader.REGULAR;
  }

  /**
   * The contents of a regular file of the union, following symlinks inside the root.
   *
   * @param what what the file is, for the error message (e.g. "kernel binary")
   */
  public InputStream openFile(String what, String path) throws IOException {
    Inode inode = lookup(path);
    if (inode == null || inode.type != TarReader.REGULAR) {
      String layers =
          sourceNames.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
      throw new AssemblyException(
          what
              + " \""
              + path
              + "\" not found in layer"
              + (sourceNames.size() > 1 ? "s " : " ")
              + layers);
    }
    return inode.content == null ? InputStream.nullInputStream() : inode.content.open();
  }

  /** Copies a regular file of the union to {@code target}, replacing it; see {@link #openFile}. */
  public void copyFile(String what, String path, Path target) throws IOException {
    try (InputStream in = openFile(what, path)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Extracts one regular file of one layer (its blobs applied in order) to {@code target}; e.g. the
   * kernel binary: {@code extract(layer, "kernel binary", "kernel", dest, tmp)}.
   */
  public static void extract(LayerSource layer, String what, String path, Path target, Path tempDir)
      throws IOException {
    try (LayerUnion union = new LayerUnion(List.of(layer), tempDir, 0, 1)) {
      union.copyFile(what, path, target);
    }
  }

  /**
   * Paths of the regular files under any of {@code dirs} (recursively, no symlink followed), in
   * path order; what the SBOM reads package databases and in-tree SBOMs from.
   */
  public List<String> regularFiles(List<String> dirs) {
    List<String> prefixes = dirs.stream().map(d -> raw(d.endsWith("/") ? d : d + "/")).toList();
    List<String> found = new ArrayList<>();
    for (Entry e : entries()) {
      if (e.inode().type == TarReader.REGULAR
          && (prefixes.contains("/") || prefixes.stream().anyMatch(e.path()::startsWith))) {
        found.add(utf8(e.path()));
      }
    }
    return found;
  }

  /** Every entry except the root, sorted by path bytes (so parents come before children). */
  List<Entry> entries() {
    return tree.entries();
  }

  private Spool newSpool(String label) throws IOException {
    Spool spool = new Spool(spoolDir.resolve("spool-" + spools.size()), budget.meter(label));
    spools.add(spool);
    return spool;
  }

  private void apply(Changeset set, List<Change> changes) throws IOException {
    for (Change c : changes) {
      UnionNode replaced = tree.apply(set, c);
      if (replaced != null
          && set.source() != Changeset.NO_SOURCE
          && replaced.source != Changeset.NO_SOURCE
          && replaced.source != set.source()) {
        overlapCount++;
        if (overlaps.size() < MAX_LISTED_OVERLAPS) {
          overlaps.add(
              new Overlap(utf8(replaced.path()), sourceNames.get(replaced.source), set.layer()));
        }
      }
    }
  }

  private Inode lookup(String path) throws IOException {
    Changeset set = new Changeset(String.join(", ", sourceNames), 0, Changeset.NO_SOURCE);
    return tree.lookup(set, raw(path));
  }

  /** A path as given by a user (UTF-8) in the raw-bytes form the union keeps. */
  private static String raw(String path) {
    return new String(path.getBytes(UTF_8), ISO_8859_1);
  }

  /** A raw-bytes path as text for messages. */
  static String utf8(String raw) {
    return new String(raw.getBytes(ISO_8859_1), UTF_8);
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Spool s : spools) {
      try {
        s.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    spools.clear();
    // The spools delete themselves on close; the directory is empty unless one failed to.
    try {
      Files.deleteIfExists(spoolDir);
    } catch (IOException e) {
      failure = e;
    }
    if (failure != null) {
      throw failure;
    }
  }
}

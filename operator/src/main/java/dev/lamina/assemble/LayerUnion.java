package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.luben.zstd.ZstdIOException;
import dev.lamina.api.FileSpec;
import dev.lamina.oci.IoSupplier;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.ZipException;

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

  private static final int MAX_SYMLINKS = 40;
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";
  private static final int NO_SOURCE = -1;

  private final Path spoolDir;
  private final Budget budget;
  private final long sourceDateEpoch;
  private final int threads;
  private final List<Spool> spools = new ArrayList<>();
  private final List<String> sourceNames = new ArrayList<>();
  private final List<Overlap> overlaps = new ArrayList<>();
  private final Node root;
  private long overlapCount;
  private int blobs;

  /**
   * The directory the last entry went into, by the text of its parent path: tar writers list a
   * directory's entries together, so the next entry usually starts there, and a deep path costs its
   * last components instead of all of them. Valid while {@link #removals} is unchanged.
   */
  private String lastParent;

  private Node lastDir;
  private long lastRemovals;
  private long removals;

  /** A name in the tree. {@code blob} is the changeset that last wrote it; whiteouts use it. */
  private static final class Node {
    final String name;
    final Node parent;
    final Inode inode;
    final Map<String, Node> children;

    /** Bytes of the path from the root, as the cpio name holds it without its NUL. */
    final int pathLength;

    int blob;
    int source;

    /** The changeset that last pruned this directory: it holds nothing lower since. */
    int prunedIn;

    boolean pruned;

    Node(String name, Node parent, Inode inode, int blob, int source) {
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
      for (Node n = this; n.parent != null; n = n.parent) {
        names.push(n.name);
      }
      return String.join("/", names);
    }
  }

  /** Where a change comes from, for whiteout scope, overlaps and messages. */
  private record Changeset(String layer, int blob, int source) {}

  private record Change(TarReader.Header header, Spool.Content content) {}

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
    this.root = new Node("", null, impliedDir(), 0, NO_SOURCE);
    try {
      addLayers(layers);
    } catch (IOException | RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  private void addLayers(List<LayerSource> layers) throws IOException {
    List<Changeset> sets = new ArrayList<>();
    List<IoSupplier<InputStream>> suppliers = new ArrayList<>();
    for (LayerSource layer : layers) {
      int source = sourceNames.size();
      sourceNames.add(layer.name());
      for (IoSupplier<InputStream> blob : layer.blobs()) {
        sets.add(new Changeset(layer.name(), ++blobs, source));
        suppliers.add(blob);
      }
    }
    if (sets.isEmpty()) {
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(threads, sets.size()),
            r -> {
              Thread t = new Thread(r, "lamina-layer-reader");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<List<Change>>> reads = new ArrayList<>();
      for (int i = 0; i < sets.size(); i++) {
        Changeset set = sets.get(i);
        IoSupplier<InputStream> supplier = suppliers.get(i);
        String label = blobLabel(set, layers);
        Spool spool = newSpool(label);
        reads.add(pool.submit(() -> read(label, supplier, spool)));
      }
      // Applying in order while later blobs are still being read keeps both cores busy.
      for (int i = 0; i < sets.size(); i++) {
        apply(sets.get(i), await(reads.get(i)));
        reads.set(i, null); // its headers are garbage once applied
      }
    } finally {
      pool.shutdownNow();
      // On failure, readers still running must stop before close() removes their spools.
      try {
        pool.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String blobLabel(Changeset set, List<LayerSource> layers) {
    int count = layers.get(set.source()).blobs().size();
    int index = set.blob();
    for (int s = 0; s < set.source(); s++) {
      index -= layers.get(s).blobs().size();
    }
    return "layer \"" + set.layer() + "\"" + (count > 1 ? " blob " + index + " of " + count : "");
  }

  private static List<Change> await(Future<List<Change>> read) throws IOException {
    try {
      return read.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof Error error) {
        throw error; // OutOfMemoryError, StackOverflowError: the build reports them by name
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while reading layers");
    }
  }

  /**
   * Adds a tarball (gzip, zstd or plain) on top of the union as one more changeset, such as the
   * kernel layer's modules tarball. Its writes are not reported as overlaps.
   */
  public void addTarball(String name, IoSupplier<InputStream> tarball) throws IOException {
    Changeset set = new Changeset(name, ++blobs, NO_SOURCE);
    String label = "tarball \"" + name + "\"";
    apply(set, read(label, tarball, newSpool(label)));
  }

  /** Adds generated entries last, each stamped with {@code sourceDateEpoch}. */
  public void addFiles(List<FileSpec> files) throws IOException {
    Changeset set = new Changeset("spec.files", ++blobs, NO_SOURCE);
    Spool spool = newSpool("spec.files");
    List<Change> changes = new ArrayList<>();
    for (FileSpec f : files) {
      if (f.getPath() == null) {
        throw new AssemblyException("spec.files: an entry has no path");
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
        content = data.length == 0 ? null : spool.append(data);
      }
      spool.meter().entry(path, path.length() + link.length());
      long uid = f.getUid() == null ? 0 : f.getUid();
      long gid = f.getGid() == null ? 0 : f.getGid();
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
    List<Map.Entry<String, Node>> nodes = new ArrayList<>();
    Map<Inode, Integer> links = new IdentityHashMap<>();
    ArrayDeque<Map.Entry<String, Node>> todo = new ArrayDeque<>();
    todo.push(Map.entry("", root));
    while (!todo.isEmpty()) {
      Map.Entry<String, Node> e = todo.pop();
      for (Node child : e.getValue().children.values()) {
        String path = e.getKey().isEmpty() ? child.name : e.getKey() + "/" + child.name;
        Map.Entry<String, Node> ce = Map.entry(path, child);
        nodes.add(ce);
        links.merge(child.inode, 1, Integer::sum);
        if (child.isDir()) {
          todo.push(ce);
        }
      }
    }
    nodes.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
    List<Entry> entries = new ArrayList<>(nodes.size());
    for (Map.Entry<String, Node> e : nodes) {
      Node n = e.getValue();
      int nlink = links.get(n.inode);
      if (n.isDir()) {
        nlink = 2 + (int) n.children.values().stream().filter(Node::isDir).count();
      }
      entries.add(new Entry(e.getKey(), n.inode, nlink));
    }
    return entries;
  }

  private Spool newSpool(String label) throws IOException {
    Spool spool = new Spool(spoolDir.resolve("spool-" + spools.size()), budget.meter(label));
    spools.add(spool);
    return spool;
  }

  private static List<Change> read(String label, IoSupplier<InputStream> supplier, Spool spool)
      throws IOException {
    InputStream opened;
    try {
      opened = supplier.get();
    } catch (IOException e) {
      throw new AssemblyException(label + ": cannot open: " + e.getMessage(), e);
    }
    List<Change> changes = new ArrayList<>();
    Decompression format = Decompression.NONE;
    byte[] buffer = new byte[1 << 16];
    try (InputStream raw = Decompression.buffered(opened)) {
      format = Decompression.detect(raw);
      try (InputStream in = format.open(raw)) {
        TarReader tar = new TarReader(in);
        for (TarReader.Header h = tar.next(); h != null; h = tar.next()) {
          spool.meter().entry(h.name(), metadataBytes(h));
          Spool.Content content = null;
          if (h.type() == TarReader.REGULAR && h.size() > 0) {
            content = spool.append(tar.data(), h.size(), buffer);
          }
          changes.add(new Change(h, content));
        }
      }
      spool.seal();
    } catch (Budget.LimitExceededException e) {
      throw e; // names the blob that crossed the limit, which may be another one
    } catch (AssemblyException e) {
      throw new AssemblyException(e.reason(), label + ": " + e.getMessage(), e);
    } catch (EOFException | ZipException | ZstdIOException e) {
      throw new AssemblyException(
          label + ": truncated or corrupt " + format.label() + " stream (" + e.getMessage() + ")",
          e);
    } catch (IOException e) {
      throw new AssemblyException(label + ": read failed: " + e.getMessage(), e);
    }
    return changes;
  }

  private static long metadataBytes(TarReader.Header h) {
    long n = h.name().length() + h.linkName().length();
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
      n += x.getKey().length() + x.getValue().length;
    }
    return n;
  }

  private void apply(Changeset set, List<Change> changes) throws IOException {
    for (Change c : changes) {
      apply(set, c);
    }
  }

  private void apply(Changeset set, Change change) throws IOException {
    TarReader.Header h = change.header();
    String name = h.name();
    Node from = root;
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
      return; // the root itself: its metadata is not part of either archive
    }
    String base = parts.get(parts.size() - 1);
    List<String> parentParts = parts.subList(0, parts.size() - 1);
    for (String p : parentParts) {
      if (p.startsWith(WHITEOUT)) {
        return; // inside aufs metadata such as .wh..wh.plnk: never part of the image
      }
    }
    if (base.startsWith(WHITEOUT)) {
      Node dir = walk(set, h.name(), from, parentParts, false);
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
        Node n = dir.children.get(hidden);
        if (n != null && prune(n, set.blob())) {
          dir.children.remove(hidden);
        }
      }
      remember(name, base, dir); // whiteouts remove only what is below dir
      return;
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
    Node dir = walk(set, h.name(), from, parentParts, true);
    remember(name, base, dir);
    Node existing = dir.children.get(base);
    if (existing != null) {
      if (existing.isDir() && inode.type == TarReader.DIR) {
        Inode d = existing.inode;
        d.mode = inode.mode;
        d.uid = inode.uid;
        d.gid = inode.gid;
        d.mtime = inode.mtime;
        d.xattrs = inode.xattrs;
        existing.blob = set.blob();
        existing.source = set.source();
        return;
      }
      if (set.source() != NO_SOURCE
          && existing.source != NO_SOURCE
          && existing.source != set.source()) {
        overlapCount++;
        if (overlaps.size() < MAX_LISTED_OVERLAPS) {
          overlaps.add(
              new Overlap(utf8(existing.path()), sourceNames.get(existing.source), set.layer()));
        }
      }
    }
    if (existing != null) {
      removals++;
    }
    dir.children.put(base, child(set, h.name(), dir, base, inode));
    if (existing != null) {
      remember(name, base, dir); // only a child of dir was replaced
    }
  }

  /** Remembers that the parent text of {@code name} is {@code dir}, when its last part is base. */
  private void remember(String name, String base, Node dir) {
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
  private static boolean prune(Node top, int blob) {
    List<Node> order = new ArrayList<>();
    ArrayDeque<Node> todo = new ArrayDeque<>();
    todo.push(top);
    while (!todo.isEmpty()) {
      Node n = todo.pop();
      order.add(n);
      if (n.isDir() && n.prunedIn != blob) {
        n.children.values().forEach(todo::push);
      }
    }
    for (int i = order.size() - 1; i >= 0; i--) {
      Node n = order.get(i);
      if (n.isDir() && n.prunedIn != blob) {
        n.children.values().removeIf(c -> c.pruned);
        n.prunedIn = blob;
      }
      n.pruned = n.blob < blob && (!n.isDir() || n.children.isEmpty());
    }
    return top.pruned;
  }

  /** A new node under {@code dir}; its path must fit the kernel's PATH_MAX. */
  private static Node child(Changeset set, String entry, Node dir, String name, Inode inode)
      throws AssemblyException {
    Node n = new Node(name, dir, inode, set.blob(), set.source());
    if (n.pathLength > TarReader.MAX_NAME) {
      throw new AssemblyException(
          AssemblyException.REASON_INVALID_ENTRY,
          layer(set)
              + ": entry \""
              + utf8(entry.length() > 200 ? entry.substring(0, 200) + "…" : entry)
              + "\" makes a path of "
              + n.pathLength
              + " bytes in the image; the kernel unpacks at most "
              + TarReader.MAX_NAME);
    }
    return n;
  }

  private Inode linkTarget(Changeset set, TarReader.Header h) throws IOException {
    List<String> parts = components(set, h.linkName());
    Node dir =
        parts.isEmpty()
            ? null
            : walk(set, h.name(), root, parts.subList(0, parts.size() - 1), false);
    Node target = dir == null ? null : dir.children.get(parts.get(parts.size() - 1));
    if (target == null || target.isDir()) {
      throw new AssemblyException(
          layer(set)
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
  private Node walk(Changeset set, String entry, Node from, List<String> parts, boolean create)
      throws AssemblyException {
    ArrayDeque<String> todo = new ArrayDeque<>(parts);
    Node cur = from;
    int links = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (cur == root) {
          throw new AssemblyException(
              layer(set)
                  + ": entry \""
                  + utf8(entry)
                  + "\" goes through a symlink that points outside the image root");
        }
        cur = cur.parent;
        continue;
      }
      Node child = cur.children.get(c);
      if (child == null) {
        if (!create) {
          return null;
        }
        child = child(set, entry, cur, c, impliedDir());
        cur.children.put(c, child);
      } else if (child.inode.type == TarReader.SYMLINK) {
        if (++links > MAX_SYMLINKS) {
          throw new AssemblyException(
              layer(set) + ": entry \"" + utf8(entry) + "\" goes through a symlink loop");
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
            layer(set)
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

  private Inode lookup(String path) throws IOException {
    Changeset set = new Changeset(String.join(", ", sourceNames), 0, NO_SOURCE);
    List<String> parts = components(set, raw(path));
    for (int i = 0; i <= MAX_SYMLINKS && !parts.isEmpty(); i++) {
      String last = parts.get(parts.size() - 1);
      if (last.equals("..")) {
        return null;
      }
      Node dir = walk(set, raw(path), root, parts.subList(0, parts.size() - 1), false);
      Node n = dir == null ? null : dir.children.get(last);
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

  /** The components of an entry name; absolute names and ".." are errors naming entry and layer. */
  private static List<String> components(Changeset set, String name) throws AssemblyException {
    return components(set, name, name);
  }

  /** The components of {@code text}, a part of entry {@code name} (which messages show). */
  private static List<String> components(Changeset set, String name, String text)
      throws AssemblyException {
    if (text.startsWith("/")) {
      throw new AssemblyException(
          layer(set)
              + ": entry \""
              + utf8(name)
              + "\" is an absolute path; entries must be relative to the image root");
    }
    List<String> parts = new ArrayList<>();
    for (String p : text.split("/")) {
      if (p.equals("..")) {
        throw new AssemblyException(
            layer(set)
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

  private static String layer(Changeset set) {
    return set.source() == NO_SOURCE ? set.layer() : "layer \"" + set.layer() + "\"";
  }

  private Inode impliedDir() {
    return new Inode(TarReader.DIR, 0755, 0, 0, sourceDateEpoch, null, 0, 0, null, Map.of());
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

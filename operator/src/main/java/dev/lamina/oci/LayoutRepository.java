package dev.lamina.oci;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/}),
 * read and written like a registry repository. Tags are the {@code
 * org.opencontainers.image.ref.name} annotations of index.json entries.
 */
final class LayoutRepository implements OciRepository {
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private final Path dir;
  private final String name;

  LayoutRepository(OciReference ref) {
    this.dir = ref.layoutDir().toAbsolutePath().normalize();
    this.name = ref.repository();
  }

  @Override
  public String name() {
    return name;
  }

  private Path blob(String digest) {
    return dir.resolve("blobs").resolve("sha256").resolve(Digests.hex(digest));
  }

  private Object lock() {
    return LOCKS.computeIfAbsent(dir, d -> new Object());
  }

  private ImageIndex readIndex() throws IOException {
    Path file = dir.resolve("index.json");
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(file)) {
      return ImageIndex.parse(
          RegistryHttp.readCapped(in, MANIFEST_SIZE_LIMIT, name + "/index.json"));
    }
  }

  @Override
  public Optional<Descriptor> resolveTag(String tag) throws IOException {
    ImageIndex index = readIndex();
    if (index == null) {
      return Optional.empty();
    }
    return index.manifests().stream()
        .filter(d -> tag.equals(d.annotations().get(MediaTypes.ANNOTATION_REF_NAME)))
        .findFirst();
  }

  @Override
  public byte[] manifestBytes(String digest) throws IOException {
    String what = "manifest " + name + "@" + digest;
    byte[] bytes;
    try (InputStream in = Files.newInputStream(blob(digest))) {
      bytes = RegistryHttp.readCapped(in, MANIFEST_SIZE_LIMIT, what);
    } catch (NoSuchFileException e) {
      throw new NotFoundException(what + " not found");
    }
    String actual = Digests.sha256(bytes);
    if (!actual.equals(digest)) {
      throw new DigestMismatchException(what + " has digest " + actual);
    }
    return bytes;
  }

  @Override
  public InputStream openBlob(Descriptor d) throws IOException {
    String what = "blob " + name + "@" + d.digest();
    try {
      return new VerifyingInputStream(
          Files.newInputStream(blob(d.digest())), d.digest(), d.size(), what);
    } catch (NoSuchFileException e) {
      throw new NotFoundException(what + " not found");
    }
  }

  @Override
  public boolean hasBlob(String digest) {
    return Files.isRegularFile(blob(digest));
  }

  @Override
  public void pushBlob(Descriptor d, IoSupplier<InputStream> content, String mountFrom)
      throws IOException {
    Path target = blob(d.digest());
    if (Files.isRegularFile(target)) {
      return;
    }
    ensureLayout();
    Path tmp = tempSibling(target);
    try {
      try (InputStream in =
              new VerifyingInputStream(
                  content.get(), d.digest(), d.size(), "content of blob " + d.digest());
          OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
        in.transferTo(out);
      }
      // Same digest, same bytes: a concurrent writer that got there first is harmless.
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public Descriptor pushManifest(byte[] bytes, String mediaType, String tag) throws IOException {
    if (tag != null) {
      OciReference.requireTag(tag);
    }
    Descriptor stored = new Descriptor(mediaType, Digests.sha256(bytes), bytes.length);
    pushBlob(stored, () -> new ByteArrayInputStream(bytes), null);
    synchronized (lock()) {
      ImageIndex index = readIndex();
      List<Descriptor> entries = new ArrayList<>(index.manifests());
      if (tag != null) {
        entries.removeIf(e -> tag.equals(e.annotations().get(MediaTypes.ANNOTATION_REF_NAME)));
        entries.add(
            new Descriptor(
                mediaType,
                stored.digest(),
                stored.size(),
                Map.of(MediaTypes.ANNOTATION_REF_NAME, tag),
                null,
                null));
      } else if (entries.stream().noneMatch(e -> e.digest().equals(stored.digest()))) {
        // Untagged, yet kept reachable so that tools do not collect it as garbage.
        entries.add(stored);
      }
      writeAtomically(
          dir.resolve("index.json"),
          new ImageIndex(MediaTypes.OCI_INDEX, null, entries, index.annotations()).toJson());
    }
    return stored;
  }

  private void ensureLayout() throws IOException {
    synchronized (lock()) {
      Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
      if (!Files.exists(dir.resolve("oci-layout"))) {
        writeAtomically(
            dir.resolve("oci-layout"),
            "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      }
      if (!Files.exists(dir.resolve("index.json"))) {
        writeAtomically(dir.resolve("index.json"), ImageIndex.of(List.of(), Map.of()).toJson());
      }
    }
  }

  // Not Files.createTempFile: its owner-only permissions would stick to the published file.
  private static Path tempSibling(Path file) {
    return file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
  }

  private static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = tempSibling(file);
    try {
      Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}

package dev.lamina.oci;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * One image repository: a registry repository or an OCI image layout directory. Every method is
 * safe to call from several threads.
 */
public interface OciRepository {
  /** Largest manifest or index read into memory. */
  long MANIFEST_SIZE_LIMIT = 4L * 1024 * 1024;

  /** The repository as {@code host/path} or {@code oci:DIR}. */
  String name();

  /** The manifest or index a tag points at, or empty if there is no such tag. */
  Optional<Descriptor> resolveTag(String tag) throws IOException;

  /** A manifest or index as read: its descriptor and its bytes, which hash to its digest. */
  record Tagged(Descriptor descriptor, byte[] bytes) {}

  /**
   * The manifest or index a tag points at, with its bytes, or empty if there is no such tag. A
   * registry answers it with one GET where {@link #resolveTag} then {@link #manifestBytes} take
   * two.
   */
  default Optional<Tagged> readTag(String tag) throws IOException {
    Optional<Descriptor> d = resolveTag(tag);
    return d.isEmpty()
        ? Optional.empty()
        : Optional.of(new Tagged(d.get(), manifestBytes(d.get().digest())));
  }

  /** The bytes of a manifest or index, verified against {@code digest}. */
  byte[] manifestBytes(String digest) throws IOException;

  /**
   * Streams a blob. The stream checks digest and size as it goes and throws {@link
   * DigestMismatchException} instead of delivering the last bytes or end of stream if they do not
   * match. The caller closes it.
   */
  InputStream openBlob(Descriptor descriptor) throws IOException;

  boolean hasBlob(String digest) throws IOException;

  /**
   * Stores a blob unless the repository has it already. {@code content} is opened at most once per
   * attempt. {@code mountFrom}, when not null, names another repository that has the blob (as
   * {@code host/path}); on the same registry the blob is then mounted instead of uploaded.
   */
  void pushBlob(Descriptor descriptor, IoSupplier<InputStream> content, String mountFrom)
      throws IOException;

  /**
   * Stores a manifest or index, tagged when {@code tag} is not null, and returns its descriptor.
   * The blobs it references must be pushed first.
   */
  Descriptor pushManifest(byte[] bytes, String mediaType, String tag) throws IOException;
}

package dev.lamina.oci;

import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI content descriptor. {@code platform} is set only for entries of an image index; {@code
 * annotations} is never null; {@code data} is the content itself, base64-encoded, for a small blob
 * that a reader should not have to fetch (the image spec's embedded data), else null.
 */
public record Descriptor(
    String mediaType,
    String digest,
    long size,
    Map<String, String> annotations,
    Platform platform,
    String artifactType,
    String data) {
  public Descriptor {
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  public Descriptor(
      String mediaType,
      String digest,
      long size,
      Map<String, String> annotations,
      Platform platform,
      String artifactType) {
    this(mediaType, digest, size, annotations, platform, artifactType, null);
  }

  public Descriptor(String mediaType, String digest, long size) {
    this(mediaType, digest, size, Map.of(), null, null, null);
  }

  /** The descriptor of {@code content}, with the content embedded. */
  public static Descriptor embedding(String mediaType, byte[] content) {
    return new Descriptor(
        mediaType,
        Digests.sha256(content),
        content.length,
        Map.of(),
        null,
        null,
        Base64.getEncoder().encodeToString(content));
  }

  /**
   * The embedded content, when there is some and it is what the descriptor names (its size and
   * digest); empty otherwise, so a reader fetches the blob instead.
   */
  public Optional<byte[]> embedded() {
    if (data == null) {
      return Optional.empty();
    }
    byte[] content;
    try {
      content = Base64.getDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return content.length == size && Digests.sha256(content).equals(digest)
        ? Optional.of(content)
        : Optional.empty();
  }
}

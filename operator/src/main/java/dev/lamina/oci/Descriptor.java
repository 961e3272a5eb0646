package dev.lamina.oci;

import java.util.Map;

/**
 * An OCI content descriptor. {@code platform} is set only for entries of an image index; {@code
 * annotations} is never null.
 */
public record Descriptor(
    String mediaType,
    String digest,
    long size,
    Map<String, String> annotations,
    Platform platform,
    String artifactType) {
  public Descriptor {
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  public Descriptor(String mediaType, String digest, long size) {
    this(mediaType, digest, size, Map.of(), null, null);
  }
}

package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An OCI image index (or a Docker manifest list, which has the same shape). {@link #toJson()} is
 * deterministic.
 */
public record ImageIndex(
    String mediaType,
    String artifactType,
    List<Descriptor> manifests,
    Map<String, String> annotations) {
  public ImageIndex {
    Objects.requireNonNull(mediaType, "mediaType");
    manifests = List.copyOf(manifests);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** An OCI image index. */
  public static ImageIndex of(List<Descriptor> manifests, Map<String, String> annotations) {
    return new ImageIndex(MediaTypes.OCI_INDEX, null, manifests, annotations);
  }

  public static ImageIndex parse(byte[] json) throws OciException {
    JsonNode node = OciJson.parse(json, "image index");
    String mediaType = OciJson.mediaTypeOf(node);
    if (!MediaTypes.isIndex(mediaType)) {
      throw new OciException("expected an image index, got " + mediaType);
    }
    return new ImageIndex(
        mediaType,
        OciJson.text(node, "artifactType"),
        OciJson.readDescriptors(node, "manifests", "image index"),
        OciJson.readAnnotations(node));
  }

  public byte[] toJson() {
    return OciJson.write(
        g -> {
          OciJson.writeStart(g, mediaType, artifactType);
          g.writeArrayFieldStart("manifests");
          for (Descriptor m : manifests) {
            OciJson.writeDescriptor(g, m);
          }
          g.writeEndArray();
          OciJson.writeAnnotations(g, annotations);
          g.writeEndObject();
        });
  }

  /**
   * The first image manifest whose platform matches {@code wanted} after normalization (see {@link
   * Platform#matches}); entries without a platform or that are not image manifests are skipped.
   */
  public Optional<Descriptor> select(Platform wanted) {
    return manifests.stream()
        .filter(d -> MediaTypes.isManifest(d.mediaType()))
        .filter(d -> d.platform() != null && d.platform().matches(wanted))
        .findFirst();
  }
}

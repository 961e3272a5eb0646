package dev.lamina.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OCI image manifest (or a Docker v2 manifest, which has the same shape). {@link #toJson()} is
 * deterministic.
 */
public record ImageManifest(
    String mediaType,
    String artifactType,
    Descriptor config,
    List<Descriptor> layers,
    Map<String, String> annotations) {
  public ImageManifest {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(config, "config");
    layers = List.copyOf(layers);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** An OCI image manifest. */
  public static ImageManifest of(
      String artifactType,
      Descriptor config,
      List<Descriptor> layers,
      Map<String, String> annotations) {
    return new ImageManifest(MediaTypes.OCI_MANIFEST, artifactType, config, layers, annotations);
  }

  public static ImageManifest parse(byte[] json) throws OciException {
    JsonNode node = OciJson.parse(json, "image manifest");
    String mediaType = OciJson.mediaTypeOf(node);
    if (!MediaTypes.isManifest(mediaType)) {
      throw new OciException("expected an image manifest, got " + mediaType);
    }
    return new ImageManifest(
        mediaType,
        OciJson.text(node, "artifactType"),
        OciJson.readDescriptor(node.get("config"), "image manifest config"),
        OciJson.readDescriptors(node, "layers", "image manifest"),
        OciJson.readAnnotations(node));
  }

  public byte[] toJson() {
    return OciJson.write(
        g -> {
          OciJson.writeStart(g, mediaType, artifactType);
          g.writeFieldName("config");
          OciJson.writeDescriptor(g, config);
          g.writeArrayFieldStart("layers");
          for (Descriptor layer : layers) {
            OciJson.writeDescriptor(g, layer);
          }
          g.writeEndArray();
          OciJson.writeAnnotations(g, annotations);
          g.writeEndObject();
        });
  }

  /** Sum of the layers' sizes as stored (compressed). */
  public long layersSize() {
    return layers.stream().mapToLong(Descriptor::size).sum();
  }
}

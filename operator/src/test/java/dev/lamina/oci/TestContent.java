package dev.lamina.oci;

import static dev.lamina.testing.TestLayers.pushBlob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Small images built in tests: blobs, image configs for a platform, manifests. */
final class TestContent {
  private TestContent() {}

  static Descriptor descriptor(byte[] bytes, String mediaType) {
    return new Descriptor(mediaType, Digests.sha256(bytes), bytes.length);
  }

  static byte[] read(OciRepository repo, Descriptor d) throws IOException {
    try (InputStream in = repo.openBlob(d)) {
      return in.readAllBytes();
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Pushes a one-layer image for {@code platform} (its config names the platform) and returns the
   * manifest descriptor with the platform set, as an index entry.
   */
  static Descriptor pushImage(OciRepository repo, Platform platform, byte[] layer)
      throws IOException {
    String config =
        "{\"architecture\":\""
            + platform.architecture()
            + "\",\"os\":\""
            + platform.os()
            + "\""
            + (platform.variant() == null ? "" : ",\"variant\":\"" + platform.variant() + "\"")
            + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    Descriptor configDesc = pushBlob(repo, utf8(config), MediaTypes.OCI_CONFIG);
    Descriptor layerDesc = pushBlob(repo, layer, MediaTypes.OCI_LAYER);
    byte[] manifest = ImageManifest.of(null, configDesc, List.of(layerDesc), Map.of()).toJson();
    Descriptor m = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
    return new Descriptor(m.mediaType(), m.digest(), m.size(), Map.of(), platform, null);
  }
}

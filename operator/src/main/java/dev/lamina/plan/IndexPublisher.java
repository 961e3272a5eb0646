package dev.lamina.plan;

import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Pushes the multi-architecture index over the per-architecture manifests of one build. */
public final class IndexPublisher {
  private IndexPublisher() {}

  /**
   * Pushes an OCI image index with one entry per architecture, under each tag, after checking that
   * every manifest it points at is in the repository.
   *
   * @param manifests architecture -> manifest digest
   * @param tags tags to give the index; the first is the content-addressed cache tag
   * @return the index descriptor
   */
  public static Descriptor publish(
      OciRepository repo, Map<String, String> manifests, List<String> tags) throws IOException {
    Map<String, byte[]> bytes = new TreeMap<>();
    for (Map.Entry<String, String> e : manifests.entrySet()) {
      bytes.put(e.getKey(), repo.manifestBytes(e.getValue()));
    }
    byte[] index = index(bytes);
    Descriptor pushed = null;
    for (String tag : tags) {
      pushed = repo.pushManifest(index, MediaTypes.OCI_INDEX, tag);
    }
    return pushed;
  }

  /** The index over the manifests (architecture -> manifest bytes) that {@link #publish} pushes. */
  public static byte[] index(Map<String, byte[]> manifests) {
    List<Descriptor> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : new TreeMap<>(manifests).entrySet()) {
      entries.add(
          new Descriptor(
              MediaTypes.OCI_MANIFEST,
              Digests.sha256(e.getValue()),
              e.getValue().length,
              Map.of(),
              Platform.linux(e.getKey()),
              ArtifactTypes.OS_IMAGE));
    }
    return ImageIndex.of(entries, Map.of()).toJson();
  }
}

package dev.lamina.plan;

import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.supply.Sbom;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pushes the multi-architecture index over the per-architecture manifests of one build. Each entry
 * embeds its manifest and names its SBOM, so whoever reads the index (a cache hit) needs nothing
 * else from the registry.
 */
public final class IndexPublisher {
  /**
   * Annotation of an index entry: the digest of the SBOM document that refers to its manifest, so
   * that a reader of the index (a cache hit) has it without a referrers lookup.
   */
  public static final String SBOM_ANNOTATION = "dev.lamina.sbom.digest";

  private IndexPublisher() {}

  /**
   * One architecture of the index.
   *
   * @param manifest the manifest's digest
   * @param sbom the digest of its SBOM document, or null
   */
  public record Entry(String manifest, String sbom) {
    /** The entry of a pushed build result. */
    public static Entry of(BuildResult result) {
      return new Entry(result.manifestDigest(), sbomDigest(result.artifacts()));
    }
  }

  /** The digest of the SBOM among a build's artifacts, or null. */
  public static String sbomDigest(List<BuildResult.ArtifactRef> artifacts) {
    if (artifacts == null) {
      return null;
    }
    return artifacts.stream()
        .filter(a -> Sbom.MEDIA_TYPE.equals(a.mediaType()))
        .map(BuildResult.ArtifactRef::digest)
        .findFirst()
        .orElse(null);
  }

  /**
   * Pushes an OCI image index with one entry per architecture, under each tag, after checking that
   * every manifest it points at is in the repository.
   *
   * @param entries by architecture
   * @param tags tags to give the index; the first is the content-addressed cache tag
   * @return the index descriptor
   */
  public static Descriptor publish(
      OciRepository repo, Map<String, Entry> entries, List<String> tags) throws IOException {
    Map<String, Manifest> manifests = new TreeMap<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      manifests.put(
          e.getKey(),
          new Manifest(repo.manifestBytes(e.getValue().manifest()), e.getValue().sbom()));
    }
    byte[] index = index(manifests);
    Descriptor pushed = null;
    for (String tag : tags) {
      pushed = repo.pushManifest(index, MediaTypes.OCI_INDEX, tag);
    }
    return pushed;
  }

  /**
   * One architecture's manifest as the index lists it.
   *
   * @param bytes the manifest
   * @param sbom the digest of its SBOM document, or null
   */
  public record Manifest(byte[] bytes, String sbom) {}

  /**
   * The index that {@link #publish} pushes.
   *
   * @param manifests by architecture
   */
  public static byte[] index(Map<String, Manifest> manifests) {
    List<Descriptor> entries = new ArrayList<>();
    for (Map.Entry<String, Manifest> e : new TreeMap<>(manifests).entrySet()) {
      byte[] bytes = e.getValue().bytes();
      String sbom = e.getValue().sbom();
      // The manifest embedded (the descriptor's data): a cache hit reads the index alone.
      entries.add(
          new Descriptor(
              MediaTypes.OCI_MANIFEST,
              Digests.sha256(bytes),
              bytes.length,
              sbom == null ? Map.of() : Map.of(SBOM_ANNOTATION, sbom),
              Platform.linux(e.getKey()),
              ArtifactTypes.OS_IMAGE,
              Base64.getEncoder().encodeToString(bytes)));
    }
    return ImageIndex.of(entries, Map.of()).toJson();
  }
}

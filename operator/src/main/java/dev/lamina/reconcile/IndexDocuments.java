package dev.lamina.reconcile;

import dev.lamina.api.Artifact;
import dev.lamina.api.Overlap;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.plan.ArtifactTypes;
import dev.lamina.plan.BuildConfig;
import dev.lamina.plan.BuildResult;
import dev.lamina.supply.Sbom;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads what the operator needs from OCI index and manifest JSON documents. */
final class IndexDocuments {
  /** A build config is a few hundred bytes; a larger one is not Lamina's. */
  private static final long MAX_CONFIG_BYTES = 64 * 1024;

  private IndexDocuments() {}

  /** The manifest entry by architecture, for the linux entries of an index. */
  static Map<String, Descriptor> manifestsByArchitecture(byte[] index) throws IOException {
    Map<String, Descriptor> result = new LinkedHashMap<>();
    for (Descriptor m : ImageIndex.parse(index).manifests()) {
      Platform p = m.platform();
      if (p != null && "linux".equals(p.os())) {
        result.putIfAbsent(p.architecture(), m);
      }
    }
    return result;
  }

  /** The artifacts of a per-architecture manifest: its layers, named by their title annotation. */
  static List<Artifact> artifacts(byte[] manifest) throws IOException {
    List<Artifact> result = new ArrayList<>();
    for (Descriptor l : ImageManifest.parse(manifest).layers()) {
      result.add(
          artifact(
              l.annotations().get(MediaTypes.ANNOTATION_TITLE),
              l.mediaType(),
              l.digest(),
              l.size()));
    }
    return result;
  }

  static List<Artifact> artifacts(BuildResult result) {
    List<Artifact> list = new ArrayList<>();
    if (result.artifacts() != null) {
      for (BuildResult.ArtifactRef a : result.artifacts()) {
        if (Sbom.MEDIA_TYPE.equals(a.mediaType())) {
          // Not in the manifest: status keeps its digest apart (sbomDigest).
          continue;
        }
        list.add(artifact(a.name(), a.mediaType(), a.digest(), a.size()));
      }
    }
    return list;
  }

  /** A build result's listed overlaps, as status keeps them. */
  static List<Overlap> overlaps(BuildResult result) {
    List<Overlap> list = new ArrayList<>();
    if (result.overlaps() != null) {
      for (Overlap o : result.overlaps()) {
        if (list.size() < BuildResult.MAX_OVERLAPS) {
          list.add(o);
        }
      }
    }
    return list;
  }

  /** A build result's overlap count; a result from a builder that did not count lists them all. */
  static int overlapCount(BuildResult result) {
    if (result.overlapCount() != null) {
      return result.overlapCount();
    }
    return result.overlaps() == null ? 0 : result.overlaps().size();
  }

  /**
   * Reads the Lamina build config of a per-architecture manifest, from the manifest itself when it
   * embeds it, else from the registry; empty when the config is not Lamina's or predates overlap
   * reporting, so the overlaps stay unknown rather than none.
   */
  static Optional<BuildConfig> buildConfig(OciRepository repo, byte[] manifest) throws IOException {
    Descriptor config = ImageManifest.parse(manifest).config();
    if (config == null
        || !ArtifactTypes.BUILD_CONFIG.equals(config.mediaType())
        || config.size() > MAX_CONFIG_BYTES) {
      return Optional.empty();
    }
    Optional<byte[]> embedded = config.embedded();
    if (embedded.isPresent()) {
      return buildConfig(embedded.get());
    }
    byte[] bytes;
    try (InputStream in = repo.openBlob(config)) {
      bytes = in.readAllBytes();
    }
    return buildConfig(bytes);
  }

  static Optional<BuildConfig> buildConfig(byte[] config) throws IOException {
    return BuildConfig.withOverlaps(config);
  }

  private static Artifact artifact(String name, String mediaType, String digest, long size) {
    Artifact a = new Artifact();
    a.setName(name);
    a.setMediaType(mediaType);
    a.setDigest(digest);
    a.setSize(size);
    return a;
  }
}

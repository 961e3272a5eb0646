package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.plan.InputDigest;
import dev.lamina.supply.Sbom;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the operator itself does in an OSImage's output repository: look for an index already built
 * from the same input (the cache), and push the index once every architecture is built.
 */
final class OutputRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(OutputRegistry.class);

  private OutputRegistry() {}

  /**
   * An index found under the input's cache tag.
   *
   * @param architectures each architecture's status, as its manifest and build config tell it
   */
  record CacheHit(Descriptor index, byte[] indexBytes, List<ArchitectureStatus> architectures) {}

  /**
   * The index tagged with {@code input}'s cache tag, when there is one with a manifest for each of
   * {@code architectures}.
   */
  static Optional<CacheHit> lookup(
      OciRepository repo, String input, List<Architecture> architectures) throws IOException {
    Optional<OciRepository.Tagged> tagged = repo.readTag(InputDigest.cacheTag(input));
    if (tagged.isEmpty()) {
      return Optional.empty();
    }
    Descriptor index = tagged.get().descriptor();
    byte[] indexBytes = tagged.get().bytes();
    Map<String, Descriptor> manifests = IndexDocuments.manifestsByArchitecture(indexBytes);
    List<ArchitectureStatus> archs = new ArrayList<>();
    for (Architecture arch : architectures) {
      Descriptor entry = manifests.get(arch.name());
      if (entry == null) {
        LOG.warn("cached index {} lacks {}; building", index.digest(), arch);
        return Optional.empty();
      }
      ArchitectureStatus a = new ArchitectureStatus();
      a.setArchitecture(arch.name());
      a.setState(BuildState.Succeeded);
      a.setAttempts(0);
      a.setManifestDigest(entry.digest());
      // Lamina's index embeds each manifest; another publisher's is fetched.
      byte[] manifestBytes = entry.embedded().orElse(null);
      if (manifestBytes == null) {
        manifestBytes = repo.manifestBytes(entry.digest());
      }
      a.setArtifacts(IndexDocuments.artifacts(manifestBytes));
      // The index Lamina publishes names each SBOM; another publisher's is looked up.
      String sbom = entry.annotations().get(IndexPublisher.SBOM_ANNOTATION);
      a.setSbomDigest(sbom != null ? sbom : Sbom.pushedDigest(repo, entry.digest()).orElse(null));
      IndexDocuments.buildConfig(repo, manifestBytes)
          .ifPresent(
              config -> {
                a.setOverlaps(config.overlaps());
                a.setOverlapCount(config.overlapCount());
              });
      archs.add(a);
    }
    return Optional.of(new CacheHit(index, indexBytes, archs));
  }

  /** Gives a cached index the OSImage's own tag too, when it asks for one. */
  static void tag(OciRepository repo, CacheHit hit, String tag) throws IOException {
    if (tag != null && !tag.isEmpty()) {
      repo.pushManifest(hit.indexBytes(), MediaTypes.OCI_INDEX, tag);
    }
  }

  /**
   * Pushes the index of the architectures' manifests, under the input's cache tag and {@code tag}.
   * The same publisher as {@code lamina build}, so a cluster and a laptop push byte-identical
   * indexes.
   */
  static Descriptor publish(
      OciRepository repo, String input, String tag, List<ArchitectureStatus> archs)
      throws IOException {
    Map<String, IndexPublisher.Entry> manifests = new LinkedHashMap<>();
    archs.forEach(
        a ->
            manifests.put(
                a.getArchitecture(),
                new IndexPublisher.Entry(a.getManifestDigest(), a.getSbomDigest())));
    List<String> tags = new ArrayList<>();
    tags.add(InputDigest.cacheTag(input));
    if (tag != null && !tag.isEmpty()) {
      tags.add(tag);
    }
    return IndexPublisher.publish(repo, manifests, tags);
  }
}

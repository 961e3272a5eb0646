package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OCI 1.1 referrers: an artifact manifest with a {@code subject}, plus the referrers tag schema
 * ({@code sha256-<hex>} tagging an index of the referrers) that the spec asks clients to keep for
 * registries without the referrers API, such as the distribution registry 2.8. Both are written, so
 * {@code oras discover} finds the artifact either way.
 */
public final class Referrers {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] EMPTY = "{}".getBytes(StandardCharsets.UTF_8);

  private Referrers() {}

  public static String fallbackTag(String digest) {
    return digest.replace(':', '-');
  }

  /**
   * Pushes {@code content} as an artifact of {@code artifactType} referring to {@code subject} and
   * returns the artifact manifest's descriptor.
   */
  public static Descriptor push(
      OciRepository repo, Descriptor subject, String artifactType, String title, byte[] content)
      throws IOException {
    Descriptor blob = new Descriptor(artifactType, Digests.sha256(content), content.length);
    repo.pushBlob(blob, () -> new ByteArrayInputStream(content), null);
    Descriptor config = new Descriptor(MediaTypes.OCI_EMPTY, Digests.sha256(EMPTY), EMPTY.length);
    repo.pushBlob(config, () -> new ByteArrayInputStream(EMPTY), null);
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    m.put("artifactType", artifactType);
    descriptor(m.putObject("config"), config, null);
    descriptor(m.putArray("layers").addObject(), blob, title);
    descriptor(m.putObject("subject"), subject, null);
    byte[] manifest = JSON.writeValueAsBytes(m);
    Descriptor pushed = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
    Descriptor entry =
        new Descriptor(
            MediaTypes.OCI_MANIFEST,
            pushed.digest(),
            manifest.length,
            Map.of(),
            null,
            artifactType);
    addToFallback(repo, subject.digest(), entry);
    return entry;
  }

  /** The referrers of {@code digest} that the tag schema lists, of {@code artifactType}. */
  public static List<Descriptor> list(OciRepository repo, String digest, String artifactType)
      throws IOException {
    // One GET of the tag, not a HEAD and then a GET of the digest: the cache check asks this for
    // every architecture of every image it finds built.
    Optional<OciRepository.Tagged> tagged = repo.readTag(fallbackTag(digest));
    if (tagged.isEmpty()) {
      return List.of();
    }
    return ImageIndex.parse(tagged.get().bytes()).manifests().stream()
        .filter(d -> artifactType == null || artifactType.equals(d.artifactType()))
        .toList();
  }

  /** The one blob of the artifact manifest {@code d}. */
  public static byte[] content(OciRepository repo, Descriptor d, long max) throws IOException {
    JsonNode m = JSON.readTree(repo.manifestBytes(d.digest()));
    JsonNode layer = m.path("layers").path(0);
    long size = layer.path("size").asLong(-1);
    if (size < 0 || size > max) {
      throw new IOException("referrer " + d.digest() + " has no blob of at most " + max + " bytes");
    }
    Descriptor blob =
        new Descriptor(layer.path("mediaType").asText(), layer.path("digest").asText(), size);
    try (InputStream in = repo.openBlob(blob)) {
      return in.readAllBytes();
    }
  }

  private static void addToFallback(OciRepository repo, String subject, Descriptor entry)
      throws IOException {
    String tag = fallbackTag(subject);
    List<Descriptor> entries = new ArrayList<>();
    Optional<Descriptor> existing = repo.resolveTag(tag);
    if (existing.isPresent()) {
      entries.addAll(ImageIndex.parse(repo.manifestBytes(existing.get().digest())).manifests());
    }
    if (entries.stream().anyMatch(e -> e.digest().equals(entry.digest()))) {
      return;
    }
    entries.add(entry);
    entries.sort(Comparator.comparing(Descriptor::digest));
    repo.pushManifest(ImageIndex.of(entries, Map.of()).toJson(), MediaTypes.OCI_INDEX, tag);
  }

  private static void descriptor(ObjectNode n, Descriptor d, String title) {
    n.put("mediaType", d.mediaType());
    n.put("digest", d.digest());
    n.put("size", d.size());
    if (title != null) {
      n.putObject("annotations").put(MediaTypes.ANNOTATION_TITLE, title);
    }
  }
}

package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Signatures and attestations in cosign's registry layout, which {@code cosign verify} and {@code
 * cosign verify-attestation} read by default: an image tagged {@code sha256-<hex>.sig} (or {@code
 * .att}) beside the signed manifest, one layer per signature. A signature layer is cosign's
 * simple-signing payload naming the signed digest, its ECDSA signature in the layer's {@code
 * dev.cosignproject.cosign/signature} annotation; an attestation layer is a DSSE envelope.
 */
public final class CosignArtifacts {
  public static final String SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
  public static final String DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json";
  public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
  public static final String PREDICATE_TYPE_ANNOTATION = "predicateType";

  /** A payload or envelope larger than this is not one Lamina or cosign wrote. */
  static final int MAX_LAYER_BYTES = 4 * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private CosignArtifacts() {}

  public static String signatureTag(String digest) {
    return digest.replace(':', '-') + ".sig";
  }

  public static String attestationTag(String digest) {
    return digest.replace(':', '-') + ".att";
  }

  /** cosign's simple-signing payload for {@code digest} in {@code repository}. */
  public static byte[] payload(String repository, String digest) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode critical = root.putObject("critical");
    critical.putObject("identity").put("docker-reference", repository);
    critical.putObject("image").put("docker-manifest-digest", digest);
    critical.put("type", "cosign container image signature");
    root.putNull("optional");
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One layer of a {@code .sig} or {@code .att} image: its bytes and its annotations. */
  public record Entry(String mediaType, byte[] content, Map<String, String> annotations) {
    byte[] signature() {
      String b64 = annotations.getOrDefault(SIGNATURE_ANNOTATION, "");
      try {
        return Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        return new byte[0];
      }
    }
  }

  /** Signs {@code digest} unless a signature by {@code key} is already there. */
  public static void sign(
      OciRepository repo, String repository, String digest, SigningKeys.KeyPair key)
      throws IOException {
    String tag = signatureTag(digest);
    List<Entry> entries = read(repo, tag);
    if (entries.stream().anyMatch(e -> signs(e, digest, List.of(key.publicKey())))) {
      return;
    }
    byte[] payload = payload(repository, digest);
    byte[] signature = SigningKeys.sign(key.privateKey(), payload);
    entries.add(
        new Entry(
            SIMPLE_SIGNING,
            payload,
            Map.of(SIGNATURE_ANNOTATION, Base64.getEncoder().encodeToString(signature))));
    write(repo, tag, entries);
  }

  /**
   * Attaches a DSSE envelope of an in-toto statement to {@code digest}, replacing one by the same
   * key with the same statement (a rebuild signs the same provenance again).
   */
  public static void attest(
      OciRepository repo, String digest, Dsse.Envelope envelope, String predicateType)
      throws IOException {
    String tag = attestationTag(digest);
    List<Entry> entries = read(repo, tag);
    byte[] statement = envelope.payload();
    Predicate<Entry> same =
        e -> {
          Optional<Dsse.Envelope> old = Dsse.Envelope.parse(e.content());
          return old.isPresent() && java.util.Arrays.equals(old.get().payload(), statement);
        };
    if (entries.stream().anyMatch(same)) {
      return;
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(SIGNATURE_ANNOTATION, "");
    annotations.put(PREDICATE_TYPE_ANNOTATION, predicateType);
    entries.add(new Entry(DSSE_ENVELOPE, envelope.toJson(), annotations));
    write(repo, tag, entries);
  }

  /** The layers of the image under {@code tag}; empty when there is none. */
  public static List<Entry> read(OciRepository repo, String tag) throws IOException {
    List<Entry> entries = new ArrayList<>();
    Optional<Descriptor> d = repo.resolveTag(tag);
    if (d.isEmpty()) {
      return entries;
    }
    ImageManifest m = ImageManifest.parse(repo.manifestBytes(d.get().digest()));
    for (Descriptor layer : m.layers()) {
      if (layer.size() > MAX_LAYER_BYTES) {
        continue;
      }
      try (InputStream in = repo.openBlob(layer)) {
        entries.add(new Entry(layer.mediaType(), in.readAllBytes(), layer.annotations()));
      }
    }
    return entries;
  }

  /** Whether {@code e} is a simple-signing signature of {@code digest} by one of {@code keys}. */
  public static boolean signs(Entry e, String digest, List<PublicKey> keys) {
    if (!SIMPLE_SIGNING.equals(e.mediaType()) || !digest.equals(signedDigest(e.content()))) {
      return false;
    }
    byte[] sig = e.signature();
    return keys.stream().anyMatch(k -> SigningKeys.verify(k, e.content(), sig));
  }

  /** Whether {@code e} is a simple-signing payload for {@code digest}, whoever signed it. */
  public static boolean claims(Entry e, String digest) {
    return SIMPLE_SIGNING.equals(e.mediaType()) && digest.equals(signedDigest(e.content()));
  }

  /** The digest a simple-signing payload claims, or null when it is not one. */
  static String signedDigest(byte[] payload) {
    try {
      JsonNode n = JSON.readTree(payload);
      JsonNode d = n.path("critical").path("image").path("docker-manifest-digest");
      return d.isTextual() ? d.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void write(OciRepository repo, String tag, List<Entry> entries)
      throws IOException {
    List<Descriptor> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (Entry e : entries) {
      Descriptor d =
          new Descriptor(
              e.mediaType(),
              Digests.sha256(e.content()),
              e.content().length,
              e.annotations(),
              null,
              null);
      repo.pushBlob(d, () -> new ByteArrayInputStream(e.content()), null);
      layers.add(d);
      // The layers are not compressed, so each one's diff ID is its digest.
      diffIds.add(d.digest());
    }
    byte[] config = config(diffIds);
    Descriptor configDesc =
        new Descriptor(MediaTypes.OCI_CONFIG, Digests.sha256(config), config.length);
    repo.pushBlob(configDesc, () -> new ByteArrayInputStream(config), null);
    byte[] manifest = ImageManifest.of(null, configDesc, layers, Map.of()).toJson();
    repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, tag);
  }

  /**
   * An image config as cosign writes for its signature images: no clock (the zero time), one diff
   * ID per layer.
   */
  private static byte[] config(List<String> diffIds) {
    ObjectNode root = JSON.createObjectNode();
    root.put("architecture", "");
    root.put("created", "0001-01-01T00:00:00Z");
    root.putArray("history").addObject().put("created", "0001-01-01T00:00:00Z");
    root.put("os", "");
    ObjectNode rootfs = root.putObject("rootfs");
    rootfs.put("type", "layers");
    diffIds.forEach(rootfs.putArray("diff_ids")::add);
    root.putObject("config");
    return writeBytes(root);
  }

  private static byte[] writeBytes(JsonNode n) {
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildException;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildResult;
import dev.lamina.plan.Builder;
import dev.lamina.plan.IndexPublisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Independent rebuild: reads the SLSA provenance attached to a pushed image, rebuilds every
 * architecture on this machine from the layer digests it records, and compares each artifact, each
 * manifest, each SBOM and the index with what the registry holds.
 */
public final class ImageVerifier {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OciClient client;
  private final Path work;
  private final Consumer<String> progress;

  public ImageVerifier(OciClient client, Path work, Consumer<String> progress) {
    this.client = client;
    this.work = work;
    this.progress = progress;
  }

  /** One compared artifact; {@code rebuilt} null when the rebuild has no such artifact. */
  public record Check(String architecture, String artifact, String pushed, String rebuilt) {
    public boolean matches() {
      return pushed != null && pushed.equals(rebuilt);
    }
  }

  /** Every comparison, in order; the image verifies when all match. */
  public record Report(String reference, String indexDigest, List<Check> checks) {
    public boolean verified() {
      return !checks.isEmpty() && checks.stream().allMatch(Check::matches);
    }
  }

  /**
   * @param keys when not empty, the provenance must be signed by one of them
   */
  public Report verify(String reference, List<PublicKey> keys)
      throws IOException, SupplyException, BuildException {
    OciReference ref = OciReference.parse(reference);
    OciRepository repo = client.repository(ref);
    String index =
        ref.digest() != null
            ? ref.digest()
            : repo.resolveTag(ref.tag() == null ? "latest" : ref.tag())
                .orElseThrow(() -> new SupplyException("NotFound", reference + " does not exist"))
                .digest();
    byte[] statement = provenance(repo, index, keys);
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("index", "provenance subject", index, subjectOf(statement, index)));
    BuildPlan plan = Provenance.plan(statement);
    Map<String, String> pushedManifests = manifests(repo.manifestBytes(index));
    Map<String, IndexPublisher.Manifest> rebuiltManifests = new TreeMap<>();
    Builder builder = new Builder(client, Files.createDirectories(work.resolve("spool")), progress);
    for (String arch : new TreeMap<>(plan.architectures()).keySet()) {
      Builder.Assembled a = builder.assemble(plan, arch, work.resolve(arch));
      byte[] manifest = Builder.manifest(plan, a).toJson();
      rebuiltManifests.put(
          arch, new IndexPublisher.Manifest(manifest, IndexPublisher.sbomDigest(a.artifacts())));
      String pushedDigest = pushedManifests.get(arch);
      ImageManifest pushed =
          pushedDigest == null ? null : ImageManifest.parse(repo.manifestBytes(pushedDigest));
      Map<String, String> pushedByTitle = new TreeMap<>();
      if (pushed != null) {
        for (Descriptor d : pushed.layers()) {
          pushedByTitle.put(d.annotations().get(MediaTypes.ANNOTATION_TITLE), d.digest());
        }
        pushedByTitle.put("config", pushed.config().digest());
        Sbom.pushedDigest(repo, pushedDigest).ifPresent(d -> pushedByTitle.put(Sbom.FILE, d));
      }
      Map<String, String> rebuiltByTitle = new TreeMap<>();
      for (BuildResult.ArtifactRef r : a.artifacts()) {
        rebuiltByTitle.put(r.name(), r.digest());
      }
      rebuiltByTitle.put("config", ImageManifest.parse(manifest).config().digest());
      TreeMap<String, String> names = new TreeMap<>(rebuiltByTitle);
      pushedByTitle.forEach(names::putIfAbsent);
      for (String name : names.keySet()) {
        checks.add(new Check(arch, name, pushedByTitle.get(name), rebuiltByTitle.get(name)));
      }
      checks.add(new Check(arch, "manifest", pushedDigest, Digests.sha256(manifest)));
    }
    for (String arch : pushedManifests.keySet()) {
      if (!plan.architectures().containsKey(arch)) {
        checks.add(new Check(arch, "manifest", pushedManifests.get(arch), null));
      }
    }
    checks.add(
        new Check("index", "index", index, Digests.sha256(IndexPublisher.index(rebuiltManifests))));
    return new Report(reference, index, checks);
  }

  /** The statement of Lamina's provenance attached to {@code digest}, signed by a key given. */
  private static byte[] provenance(OciRepository repo, String digest, List<PublicKey> keys)
      throws IOException, SupplyException {
    boolean unsigned = false;
    for (CosignArtifacts.Entry e :
        CosignArtifacts.read(repo, CosignArtifacts.attestationTag(digest))) {
      if (!CosignArtifacts.DSSE_ENVELOPE.equals(e.mediaType())
          || !Provenance.PREDICATE_TYPE.equals(
              e.annotations().get(CosignArtifacts.PREDICATE_TYPE_ANNOTATION))) {
        continue;
      }
      Optional<Dsse.Envelope> env = Dsse.Envelope.parse(e.content());
      if (env.isEmpty()) {
        continue;
      }
      if (!keys.isEmpty() && !env.get().verifiedBy(keys)) {
        unsigned = true;
        continue;
      }
      return env.get().payload();
    }
    throw new SupplyException(
        "NoProvenance",
        unsigned
            ? "the provenance of " + digest + " is not signed by the given key"
            : "no SLSA provenance is attached to " + digest);
  }

  /** {@code digest} when the statement names it as a subject, else what it names instead. */
  private static String subjectOf(byte[] statement, String digest) throws IOException {
    List<String> named = new ArrayList<>();
    for (JsonNode s : JSON.readTree(statement).path("subject")) {
      String d = "sha256:" + s.path("digest").path("sha256").asText();
      if (d.equals(digest)) {
        return d;
      }
      named.add(d);
    }
    return named.isEmpty() ? null : named.get(0);
  }

  private static Map<String, String> manifests(byte[] index) throws IOException {
    Map<String, String> byArch = new TreeMap<>();
    for (Descriptor d : ImageIndex.parse(index).manifests()) {
      if (d.platform() != null) {
        byArch.put(d.platform().architecture(), d.digest());
      }
    }
    return byArch;
  }
}

package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.oci.Digests;
import dev.lamina.oci.OciReference;
import dev.lamina.plan.BuildPlan;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * SLSA v1 provenance of one OSImage build, as an in-toto v1 statement. Its subjects are the index
 * and every per-architecture manifest, so one statement serves each of them. It holds no clock and
 * no random value: the same build gives the same bytes, which {@code lamina verify} relies on to
 * rebuild from it.
 */
public final class Provenance {
  public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
  public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";
  public static final String BUILD_TYPE = "https://lamina.dev/osimage-build/v1";
  public static final String BUILDER_ID = "https://lamina.dev/operator";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .configure(SerializationFeature.INDENT_OUTPUT, false);

  private Provenance() {}

  /**
   * What one build was, as far as its provenance tells.
   *
   * @param repository where the image was pushed (registry/name)
   * @param indexDigest the image index
   * @param manifests architecture -> per-architecture manifest digest
   * @param nodeArchitectures architecture -> what the build node reported ({@code os.arch})
   * @param sboms architecture -> digest of the SBOM manifest, when one was pushed
   * @param spec the OSImage spec as the user wrote it (any JSON-mappable object)
   * @param plan the resolved plan: layer digests per architecture and everything else built
   * @param builderImage the image the build ran, by digest when known
   */
  public record Build(
      String repository,
      String indexDigest,
      Map<String, String> manifests,
      Map<String, String> nodeArchitectures,
      Map<String, String> sboms,
      Object spec,
      BuildPlan plan,
      String builderImage) {}

  public static byte[] statement(Build b) {
    ObjectNode root = JSON.createObjectNode();
    root.put("_type", STATEMENT_TYPE);
    ArrayNode subjects = root.putArray("subject");
    subject(subjects, b.repository() + "@" + b.indexDigest(), b.indexDigest());
    for (Map.Entry<String, String> e : new TreeMap<>(b.manifests()).entrySet()) {
      subject(subjects, b.repository() + "@" + e.getValue(), e.getValue());
    }
    root.put("predicateType", PREDICATE_TYPE);
    ObjectNode predicate = root.putObject("predicate");
    ObjectNode def = predicate.putObject("buildDefinition");
    def.put("buildType", BUILD_TYPE);
    ObjectNode external = def.putObject("externalParameters");
    external.put("osImage", b.plan().osImage());
    external.set("spec", JSON.valueToTree(b.spec()));
    ObjectNode internal = def.putObject("internalParameters");
    internal.put("inputDigest", b.plan().inputDigest());
    // Without the output and limits the plan is what the input digest covers: enough to rebuild.
    internal.set("plan", JSON.valueToTree(b.plan().withOutput(null)));
    ArrayNode deps = def.putArray("resolvedDependencies");
    for (Map.Entry<String, BuildPlan.ArchPlan> e :
        new TreeMap<>(b.plan().architectures()).entrySet()) {
      if (e.getValue().kernel() != null) {
        dependency(deps, e.getKey(), "kernel", e.getValue().kernel());
      }
      for (BuildPlan.LayerRef ref : e.getValue().init()) {
        dependency(deps, e.getKey(), "init", ref);
      }
    }
    if (b.builderImage() != null) {
      ObjectNode builder = deps.addObject();
      builder.put("name", "builder");
      builder.put("uri", "oci://" + b.builderImage());
      String digest = builderDigest(b.builderImage());
      if (digest != null) {
        builder.putObject("digest").put("sha256", Digests.hex(digest));
      }
    }
    ObjectNode run = predicate.putObject("runDetails");
    run.putObject("builder").put("id", BUILDER_ID);
    run.putObject("metadata").put("invocationId", b.plan().inputDigest());
    ArrayNode byproducts = run.putArray("byproducts");
    for (Map.Entry<String, String> e : new TreeMap<>(b.manifests()).entrySet()) {
      ObjectNode p = byproducts.addObject();
      p.put("name", e.getKey() + "/manifest");
      p.putObject("digest").put("sha256", Digests.hex(e.getValue()));
      ObjectNode ann = p.putObject("annotations");
      ann.put("architecture", e.getKey());
      String node = b.nodeArchitectures().get(e.getKey());
      if (node != null) {
        ann.put("nodeArchitecture", node);
      }
      String sbom = b.sboms().get(e.getKey());
      if (sbom != null) {
        ObjectNode s = byproducts.addObject();
        s.put("name", e.getKey() + "/sbom.spdx.json");
        s.put("mediaType", Sbom.MEDIA_TYPE);
        s.putObject("digest").put("sha256", Digests.hex(sbom));
      }
    }
    try {
      return JSON.writeValueAsBytes(JSON.readTree(JSON.writeValueAsBytes(root)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void subject(ArrayNode subjects, String name, String digest) {
    ObjectNode s = subjects.addObject();
    s.put("name", name);
    s.putObject("digest").put("sha256", Digests.hex(digest));
  }

  private static void dependency(ArrayNode deps, String arch, String role, BuildPlan.LayerRef ref) {
    ObjectNode d = deps.addObject();
    d.put("name", ref.name());
    d.put("uri", Sbom.purl(ref.image(), ref.digest(), arch));
    d.putObject("digest").put("sha256", Digests.hex(ref.digest()));
    ObjectNode ann = d.putObject("annotations");
    ann.put("architecture", arch);
    ann.put("role", role);
  }

  /** The resolved plan a statement records, for {@code lamina verify}. */
  public static BuildPlan plan(byte[] statement) throws SupplyException {
    try {
      JsonNode root = JSON.readTree(statement);
      if (!PREDICATE_TYPE.equals(root.path("predicateType").asText())
          || !BUILD_TYPE.equals(
              root.path("predicate").path("buildDefinition").path("buildType").asText())) {
        throw new SupplyException(
            "NotLaminaProvenance", "the attestation is not Lamina's SLSA v1 provenance");
      }
      JsonNode plan =
          root.path("predicate").path("buildDefinition").path("internalParameters").path("plan");
      return JSON.treeToValue(plan, BuildPlan.class);
    } catch (IOException e) {
      throw new SupplyException("InvalidProvenance", "unreadable provenance: " + e.getMessage(), e);
    }
  }

  /** The digest the builder image is pinned by, or null for a tag or a reference not parsed. */
  private static String builderDigest(String image) {
    try {
      return OciReference.parse(image).digest();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

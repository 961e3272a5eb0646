package dev.lamina.plan;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The digest that names a build: sha256 over the canonical JSON of the build plan (spec fields and
 * resolved layer digests; the OSImage's name and the output destination are left out, since they
 * don't change a byte of the artifacts, so identical inputs share a cache entry) and the
 * assembler's output-format version.
 */
public final class InputDigest {
  /**
   * Raised only when a change alters the bytes the assembler writes for the same inputs, so an
   * operator upgrade doesn't rebuild every image. 2: the manifest's config lists init-layer
   * overlaps. 3: gzip initrds at zlib level 4, with random-looking blocks stored. 4: the manifest
   * embeds its config, and the index names each architecture's SBOM (so a cache hit reads neither
   * from the registry). 5: the index embeds each architecture's manifest (a cache hit reads the
   * index alone).
   */
  public static final int OUTPUT_FORMAT_VERSION = 5;

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .build();

  private InputDigest() {}

  /** Computes the digest of {@code plan}, ignoring its osImage, inputDigest, output and limits. */
  public static String of(BuildPlan plan) {
    BuildPlan canonical =
        new BuildPlan(
            null,
            null,
            withoutSecrets(plan.architectures()),
            plan.kernel(),
            plan.files(),
            plan.formats(),
            plan.compression(),
            plan.sourceDateEpoch(),
            null,
            null,
            plan.efi(),
            plan.containers());
    try {
      String json = CANONICAL.writeValueAsString(canonical) + "\nformat=" + OUTPUT_FORMAT_VERSION;
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, BuildPlan.ArchPlan> withoutSecrets(
      Map<String, BuildPlan.ArchPlan> archs) {
    Map<String, BuildPlan.ArchPlan> result = new TreeMap<>();
    archs.forEach(
        (arch, ap) ->
            result.put(
                arch,
                new BuildPlan.ArchPlan(
                    ap.kernel() == null ? null : withoutSecret(ap.kernel()),
                    ap.init().stream().map(InputDigest::withoutSecret).toList(),
                    ap.stub() == null ? null : withoutSecret(ap.stub()),
                    ap.layers() == null ? null : refsWithoutSecrets(ap.layers()))));
    return result;
  }

  private static Map<String, BuildPlan.LayerRef> refsWithoutSecrets(
      Map<String, BuildPlan.LayerRef> refs) {
    Map<String, BuildPlan.LayerRef> result = new TreeMap<>();
    refs.forEach((name, ref) -> result.put(name, withoutSecret(ref)));
    return result;
  }

  private static BuildPlan.LayerRef withoutSecret(BuildPlan.LayerRef ref) {
    return new BuildPlan.LayerRef(ref.name(), ref.image(), ref.digest());
  }

  /** The content-addressed tag under which a finished index is cached: lamina-HEX. */
  public static String cacheTag(String inputDigest) {
    return "lamina-" + inputDigest.substring(inputDigest.indexOf(':') + 1);
  }
}

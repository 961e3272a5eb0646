package dev.lamina.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Overlap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The config blob of a per-architecture manifest ({@link ArtifactTypes#BUILD_CONFIG}): what went
 * in, never when, and the paths that two init layers both write, so that a cache hit can report
 * them as a build would (policy LMN008). The builder writes it; the operator reads it back on a
 * cache hit. Its bytes are part of the manifest digest: fields are written in alphabetical order,
 * as they always were, and a change to them must raise {@link InputDigest#OUTPUT_FORMAT_VERSION}.
 *
 * @param architecture e.g. amd64
 * @param os always linux
 * @param inputDigest the plan's input digest
 * @param formatVersion {@link InputDigest#OUTPUT_FORMAT_VERSION} of the builder that wrote it
 * @param layers the kernel layer (if any), then the init layers in union order
 * @param overlaps the first {@link BuildResult#MAX_OVERLAPS} overlaps
 * @param overlapCount all overlaps; null in configs written before overlaps were counted
 */
@JsonPropertyOrder(alphabetic = true)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildConfig(
    String architecture,
    String os,
    String inputDigest,
    Integer formatVersion,
    List<Source> layers,
    List<Overlap> overlaps,
    Integer overlapCount) {

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * One layer that went into the build.
   *
   * @param role kernel or init
   */
  @JsonPropertyOrder(alphabetic = true)
  public record Source(String role, String name, String image, String digest) {
    static Source of(String role, BuildPlan.LayerRef ref) {
      return new Source(role, ref.name(), ref.image(), ref.digest());
    }
  }

  /** The config of one assembled architecture of {@code plan}. */
  static BuildConfig of(BuildPlan plan, Builder.Assembled assembled) {
    String arch = assembled.architecture();
    BuildPlan.ArchPlan ap = plan.architectures().get(arch);
    List<Source> sources = new ArrayList<>();
    if (ap.kernel() != null) {
      sources.add(Source.of("kernel", ap.kernel()));
    }
    for (BuildPlan.LayerRef ref : ap.init()) {
      sources.add(Source.of("init", ref));
    }
    List<Overlap> overlaps = assembled.overlaps();
    return new BuildConfig(
        arch,
        "linux",
        plan.inputDigest(),
        InputDigest.OUTPUT_FORMAT_VERSION,
        sources,
        overlaps.subList(0, Math.min(overlaps.size(), BuildResult.MAX_OVERLAPS)),
        assembled.overlapCount());
  }

  public byte[] toJson() throws IOException {
    return JSON.writeValueAsBytes(this);
  }

  /**
   * A config that says what it found about overlaps; empty for one written before overlaps were
   * counted, so the overlaps stay unknown rather than none.
   */
  public static Optional<BuildConfig> withOverlaps(byte[] json) throws IOException {
    BuildConfig config = JSON.readValue(json, BuildConfig.class);
    if (config == null || config.overlapCount() == null) {
      return Optional.empty();
    }
    List<Overlap> listed = config.overlaps() == null ? List.of() : config.overlaps();
    return Optional.of(
        new BuildConfig(
            config.architecture(),
            config.os(),
            config.inputDigest(),
            config.formatVersion(),
            config.layers(),
            List.copyOf(listed.subList(0, Math.min(listed.size(), BuildResult.MAX_OVERLAPS))),
            config.overlapCount()));
  }
}

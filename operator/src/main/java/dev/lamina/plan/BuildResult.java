package dev.lamina.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lamina.api.Overlap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one architecture's build produced, or why it failed. A build pod writes it compactly as its
 * termination message (at most 4 KiB, so lists are capped); the operator reads it back.
 *
 * @param architecture amd64 or arm64
 * @param inputDigest the input digest the build was for
 * @param manifestDigest digest of the pushed per-architecture manifest; null when not pushed
 * @param artifacts each artifact blob
 * @param overlaps paths that more than one init layer wrote (at most 10 listed)
 * @param overlapCount exact number of such paths
 * @param error null on success
 * @param osArch the JVM's {@code os.arch} where the build ran ({@code amd64}, {@code aarch64}):
 *     which variant of the multi-arch builder image a node actually ran
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildResult(
    String architecture,
    String inputDigest,
    String manifestDigest,
    List<ArtifactRef> artifacts,
    List<Overlap> overlaps,
    Integer overlapCount,
    Failure error,
    String osArch) {

  /** A result of this process: {@link #osArch} is this JVM's. */
  public BuildResult(
      String architecture,
      String inputDigest,
      String manifestDigest,
      List<ArtifactRef> artifacts,
      List<Overlap> overlaps,
      Integer overlapCount,
      Failure error) {
    this(
        architecture,
        inputDigest,
        manifestDigest,
        artifacts,
        overlaps,
        overlapCount,
        error,
        System.getProperty("os.arch"));
  }

  /** Limit of a container termination message. */
  public static final int MAX_BYTES = 4096;

  /** How many overlaps a result lists at most; overlapCount counts them all. */
  public static final int MAX_OVERLAPS = 10;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /** One artifact blob of a per-architecture manifest. */
  public record ArtifactRef(String name, String mediaType, String digest, long size) {}

  /**
   * Why a build failed.
   *
   * @param reason a CamelCase word, e.g. DigestMismatch, KernelMissing, RegistryAuth
   * @param message a sentence a user can act on
   */
  public record Failure(String reason, String message) {}

  public static BuildResult failure(
      String architecture, String inputDigest, String reason, String message) {
    return new BuildResult(
        architecture, inputDigest, null, null, null, null, new Failure(reason, message));
  }

  public boolean succeeded() {
    return error == null;
  }

  /** Compact JSON, shortened (overlaps, then the message) until it fits {@link #MAX_BYTES}. */
  public String toJson() {
    BuildResult r = this;
    if (r.overlaps != null && r.overlaps.size() > MAX_OVERLAPS) {
      r = r.withOverlaps(r.overlaps.subList(0, MAX_OVERLAPS));
    }
    String json = write(r);
    while (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      if (r.overlaps != null && !r.overlaps.isEmpty()) {
        r = r.withOverlaps(new ArrayList<>(r.overlaps.subList(0, r.overlaps.size() - 1)));
      } else if (r.error != null && r.error.message.length() > 200) {
        r =
            new BuildResult(
                r.architecture,
                r.inputDigest,
                r.manifestDigest,
                r.artifacts,
                r.overlaps,
                r.overlapCount,
                new Failure(r.error.reason, r.error.message.substring(0, 200) + "…"),
                r.osArch);
      } else {
        throw new IllegalStateException("build result does not fit a termination message");
      }
      json = write(r);
    }
    return json;
  }

  private BuildResult withOverlaps(List<Overlap> list) {
    return new BuildResult(
        architecture, inputDigest, manifestDigest, artifacts, list, overlapCount, error, osArch);
  }

  private static String write(BuildResult r) {
    try {
      return JSON.writeValueAsString(r);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static BuildResult fromJson(String json) throws IOException {
    return JSON.readValue(json, BuildResult.class);
  }
}

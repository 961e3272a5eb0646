package dev.lamina.build;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lamina.api.Compression;
import dev.lamina.api.FileSpec;
import dev.lamina.api.OutputFormat;
import dev.lamina.assemble.UnionLimits;
import java.util.List;
import java.util.Map;

/**
 * Everything a build needs, with every Layer already resolved to a manifest digest per
 * architecture. The operator writes it into the plan ConfigMap; the build pod and {@code lamina
 * build} both read it. Nothing in it depends on the cluster.
 *
 * @param osImage namespace/name of the OSImage, for messages
 * @param inputDigest the input digest (see {@link InputDigest})
 * @param architectures per architecture: the kernel layer and the init layers, in union order
 * @param kernel where the kernel binary and modules are in the kernel layer, and the cmdline
 * @param files entries added on top of the union
 * @param formats artifacts to write
 * @param compression initrd compression
 * @param sourceDateEpoch time stamped on generated entries
 * @param output where to push; null to build to a directory only
 * @param limits what the build may unpack; null for {@link UnionLimits#DEFAULTS}. Not part of the
 *     input digest: a limit changes whether a build succeeds, never the bytes it writes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildPlan(
    String osImage,
    String inputDigest,
    Map<String, ArchPlan> architectures,
    KernelPlan kernel,
    List<FileSpec> files,
    List<OutputFormat> formats,
    Compression compression,
    long sourceDateEpoch,
    OutputPlan output,
    UnionLimits limits) {

  /** The limits the build enforces. */
  public UnionLimits effectiveLimits() {
    return limits == null ? UnionLimits.DEFAULTS : limits;
  }

  /** The layers of one architecture. {@code kernel} is null when no kernel is built. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ArchPlan(LayerRef kernel, List<LayerRef> init) {}

  /**
   * One layer image pinned to the manifest of one platform.
   *
   * @param name the Layer's name
   * @param image the repository (registry/name) or oci:DIR layout it lives in, without tag
   * @param digest the platform's image manifest digest
   */
  public record LayerRef(String name, String image, String digest) {}

  /** Paths in the kernel layer and the command line. */
  public record KernelPlan(String binary, String modules, String cmdline) {}

  /** Where artifacts go. {@code tag} is optional. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record OutputPlan(String repository, String tag) {}
}

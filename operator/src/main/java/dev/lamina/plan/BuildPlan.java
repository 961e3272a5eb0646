package dev.lamina.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lamina.api.Compression;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileSpec;
import dev.lamina.api.OutputFormat;
import dev.lamina.api.PolicyAction;
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
 * @param efi the stub path and disk size of the EFI formats; null when none is built
 * @param containers the onboot, onshutdown and services containers; null when there are none (so
 *     the input digest of an image without containers is what it was before they existed)
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
    UnionLimits limits,
    EfiPlan efi,
    ContainersPlan containers) {

  /** A plan without containers. */
  public BuildPlan(
      String osImage,
      String inputDigest,
      Map<String, ArchPlan> architectures,
      KernelPlan kernel,
      List<FileSpec> files,
      List<OutputFormat> formats,
      Compression compression,
      long sourceDateEpoch,
      OutputPlan output,
      UnionLimits limits,
      EfiPlan efi) {
    this(
        osImage,
        inputDigest,
        architectures,
        kernel,
        files,
        formats,
        compression,
        sourceDateEpoch,
        output,
        limits,
        efi,
        null);
  }

  /** A plan without EFI formats. */
  public BuildPlan(
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
    this(
        osImage,
        inputDigest,
        architectures,
        kernel,
        files,
        formats,
        compression,
        sourceDateEpoch,
        output,
        limits,
        null);
  }

  /** The limits the build enforces. */
  public UnionLimits effectiveLimits() {
    return limits == null ? UnionLimits.DEFAULTS : limits;
  }

  /**
   * The layers of one architecture. {@code kernel} is null when no kernel is built; {@code stub},
   * the Layer holding the UKI's EFI stub, when no EFI format is; {@code layers}, the Layers that
   * containers run and files take contents from, by name, when there are none.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ArchPlan(
      LayerRef kernel, List<LayerRef> init, LayerRef stub, Map<String, LayerRef> layers) {
    public ArchPlan(LayerRef kernel, List<LayerRef> init, LayerRef stub) {
      this(kernel, init, stub, null);
    }

    public ArchPlan(LayerRef kernel, List<LayerRef> init) {
      this(kernel, init, null, null);
    }

    /**
     * The Layer {@code name} of containers and file sources.
     *
     * @throws IllegalArgumentException when the plan does not carry it
     */
    public LayerRef layer(String name) {
      LayerRef ref = layers == null ? null : layers.get(name);
      if (ref == null) {
        throw new IllegalArgumentException("the plan has no Layer " + name);
      }
      return ref;
    }
  }

  /**
   * The system containers, each list in the order of the spec; a list is null when empty.
   * Containers keep their spec as it is: config.json is made at build time, when the image's own
   * config is read.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ContainersPlan(
      List<ContainerSpec> onboot, List<ContainerSpec> onshutdown, List<ContainerSpec> services) {
    /** Every container, onboot then onshutdown then services. */
    public List<ContainerSpec> all() {
      List<ContainerSpec> all = new java.util.ArrayList<>();
      for (List<ContainerSpec> l : java.util.Arrays.asList(onboot, onshutdown, services)) {
        if (l != null) {
          all.addAll(l);
        }
      }
      return all;
    }

    /**
     * The uid/gid LinuxKit gives each container, by name: 100 for the first, counting onboot, then
     * onshutdown, then services.
     */
    public Map<String, Long> ids() {
      Map<String, Long> ids = new java.util.LinkedHashMap<>();
      long id = 100;
      for (ContainerSpec c : all()) {
        ids.put(c.getName(), id++);
      }
      return ids;
    }
  }

  /**
   * What the EFI formats need beyond the kernel plan.
   *
   * @param stubPaths the stub's path in the stub Layer, per architecture
   * @param diskSize spec.disk.size in bytes; null to size the disk to its content
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record EfiPlan(Map<String, String> stubPaths, Long diskSize) {}

  /**
   * One layer image pinned to the manifest of one platform.
   *
   * @param name the Layer's name
   * @param image the repository (registry/name) or oci:DIR layout it lives in, without tag
   * @param digest the platform's image manifest digest
   * @param pullSecret the Layer's pull Secret (in the OSImage's namespace), whose credentials, and
   *     only those, the build pod uses to pull this layer; null to pull anonymously. Not part of
   *     the input digest: it changes no byte of the artifacts.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record LayerRef(String name, String image, String digest, String pullSecret) {
    public LayerRef(String name, String image, String digest) {
      this(name, image, digest, null);
    }
  }

  /**
   * Paths in the kernel layer and the command line; {@code ucode}, the microcode cpio put in front
   * of the initrd, is left out of JSON when null so older plans keep their digest.
   */
  public record KernelPlan(
      String binary,
      String modules,
      String cmdline,
      @JsonInclude(JsonInclude.Include.NON_NULL) String ucode) {
    public KernelPlan(String binary, String modules, String cmdline) {
      this(binary, modules, cmdline, null);
    }
  }

  /**
   * Where artifacts go, and whether they may go there.
   *
   * @param repository registry/name to push to
   * @param tag optional tag of the index
   * @param overlaps the action of policy rule LMN009 (init layers writing the same path) for this
   *     OSImage, when the operator knows it: on {@code Deny} the builder pushes nothing if the
   *     union has overlaps, and reports them in its failure so the operator can block the image
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record OutputPlan(String repository, String tag, PolicyAction overlaps) {
    public OutputPlan(String repository, String tag) {
      this(repository, tag, null);
    }

    public OutputPlan withOverlaps(PolicyAction action) {
      return new OutputPlan(repository, tag, action);
    }
  }

  /** This plan with another output (not part of the input digest). */
  public BuildPlan withOutput(OutputPlan other) {
    return new BuildPlan(
        osImage,
        inputDigest,
        architectures,
        kernel,
        files,
        formats,
        compression,
        sourceDateEpoch,
        other,
        limits,
        efi,
        containers);
  }

  /** This plan with its input digest. */
  public BuildPlan withInputDigest(String digest) {
    return new BuildPlan(
        osImage,
        digest,
        architectures,
        kernel,
        files,
        formats,
        compression,
        sourceDateEpoch,
        output,
        limits,
        efi,
        containers);
  }

  /** The uid/gid of each container by name (none when there are no containers). */
  public Map<String, Long> containerIds() {
    return containers == null ? Map.of() : containers.ids();
  }
}

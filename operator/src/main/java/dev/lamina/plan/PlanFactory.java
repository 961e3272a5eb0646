package dev.lamina.plan;

import dev.lamina.api.Architecture;
import dev.lamina.api.BuildLimits;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileSpec;
import dev.lamina.api.IdRef;
import dev.lamina.api.KernelSpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.PlatformDigest;
import dev.lamina.assemble.UnionLimits;
import dev.lamina.oci.OciReference;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Turns an OSImage and the resolved status of its Layers into a {@link BuildPlan}. */
public final class PlanFactory {
  private PlanFactory() {}

  /**
   * The plan for {@code image}, its input digest filled in.
   *
   * @param layers the image's Layers by name, each already resolved
   * @throws IllegalArgumentException when a Layer is missing or lacks a platform the image needs
   */
  public static BuildPlan create(OSImage image, Map<String, Layer> layers) {
    return create(image, layers, null);
  }

  /**
   * The plan for {@code image}, its input digest filled in, its limits those of the spec (or the
   * defaults) lowered to {@code max} where they are above it.
   *
   * @param layers the image's Layers by name, each already resolved
   * @param max the operator's maximums; null for none
   * @throws IllegalArgumentException when a Layer is missing or lacks a platform the image needs
   */
  public static BuildPlan create(OSImage image, Map<String, Layer> layers, UnionLimits max) {
    OSImageSpec spec = image.getSpec();
    validateFiles("spec.files", spec.getFiles());
    validateContainers(spec);
    KernelSpec kernel = spec.getKernel();
    String kernelLayer = kernel == null ? null : kernel.getLayer();
    Map<String, BuildPlan.ArchPlan> archs = new LinkedHashMap<>();
    for (Architecture arch : spec.getArchitectures().stream().sorted().toList()) {
      BuildPlan.LayerRef kernelRef = kernelLayer == null ? null : ref(layers, kernelLayer, arch);
      List<BuildPlan.LayerRef> init = new ArrayList<>();
      for (String name : spec.getInit() == null ? List.<String>of() : spec.getInit()) {
        init.add(ref(layers, name, arch));
      }
      BuildPlan.LayerRef stubRef = null;
      if (spec.hasEfiFormat()) {
        stubRef = ref(layers, stubLayer(spec), arch);
      }
      Map<String, BuildPlan.LayerRef> extra = new java.util.TreeMap<>();
      for (String name : extraLayers(spec)) {
        extra.put(name, ref(layers, name, arch));
      }
      archs.put(
          arch.name(),
          new BuildPlan.ArchPlan(
              kernelRef, List.copyOf(init), stubRef, extra.isEmpty() ? null : extra));
    }
    BuildPlan.KernelPlan kernelPlan =
        kernel == null
            ? null
            : new BuildPlan.KernelPlan(
                kernel.effectiveBinary(),
                kernel.effectiveModules(),
                kernel.getCmdline(),
                kernel.getUcode() == null || kernel.getUcode().isEmpty()
                    ? null
                    : kernel.getUcode());
    BuildPlan.OutputPlan output =
        spec.getOutput() == null
            ? null
            : new BuildPlan.OutputPlan(spec.getOutput().getRepository(), spec.getOutput().getTag());
    BuildPlan plan =
        new BuildPlan(
            image.getMetadata().getNamespace() + "/" + image.getMetadata().getName(),
            null,
            archs,
            kernelPlan,
            spec.getFiles() == null ? List.of() : List.copyOf(spec.getFiles()),
            List.copyOf(spec.effectiveFormats()),
            spec.effectiveCompression(),
            spec.effectiveSourceDateEpoch(),
            output,
            limits(spec, max),
            efi(spec),
            containers(spec));
    return plan.withInputDigest(InputDigest.of(plan));
  }

  /** The containers part of the plan; null when the image has none. */
  static BuildPlan.ContainersPlan containers(OSImageSpec spec) {
    if (spec.containers().isEmpty()) {
      return null;
    }
    return new BuildPlan.ContainersPlan(
        orNull(spec.getOnboot()), orNull(spec.getOnshutdown()), orNull(spec.getServices()));
  }

  private static List<ContainerSpec> orNull(List<ContainerSpec> list) {
    return list == null || list.isEmpty() ? null : List.copyOf(list);
  }

  /** The Layers of containers and file sources, each once, in the order layerNames() has them. */
  private static List<String> extraLayers(OSImageSpec spec) {
    List<String> names = new ArrayList<>();
    for (ContainerSpec c : spec.containers()) {
      if (!names.contains(c.getLayer())) {
        names.add(c.getLayer());
      }
    }
    for (FileSpec f : spec.getFiles() == null ? List.<FileSpec>of() : spec.getFiles()) {
      if (f.getSource() != null && !names.contains(f.getSource().getLayer())) {
        names.add(f.getSource().getLayer());
      }
    }
    return names;
  }

  /**
   * Checks the containers as the CRD's schema does (names unique across the three lists, each
   * container's fields, ids naming containers), and the file owners given by name.
   *
   * @throws IllegalArgumentException naming the first bad field
   */
  public static void validateContainers(OSImageSpec spec) {
    java.util.Set<String> names = new java.util.HashSet<>();
    Map<String, List<ContainerSpec>> sections = new LinkedHashMap<>();
    sections.put("onboot", spec.getOnboot());
    sections.put("onshutdown", spec.getOnshutdown());
    sections.put("services", spec.getServices());
    for (Map.Entry<String, List<ContainerSpec>> s : sections.entrySet()) {
      List<ContainerSpec> list = s.getValue();
      for (int i = 0; list != null && i < list.size(); i++) {
        String field = "spec." + s.getKey() + "[" + i + "]";
        if (list.get(i) == null) {
          throw new IllegalArgumentException(field + " is empty");
        }
        list.get(i).validate(field);
        if (!names.add(list.get(i).getName())) {
          throw new IllegalArgumentException(
              field
                  + ".name: container name "
                  + list.get(i).getName()
                  + " is used more than once: names must be unique across onboot, onshutdown"
                  + " and services");
        }
      }
    }
    Map<String, Long> ids = containers(spec) == null ? Map.of() : containers(spec).ids();
    for (Map.Entry<String, List<ContainerSpec>> s : sections.entrySet()) {
      List<ContainerSpec> list = s.getValue();
      for (int i = 0; list != null && i < list.size(); i++) {
        String field = "spec." + s.getKey() + "[" + i + "]";
        ContainerSpec c = list.get(i);
        resolveId(field + ".uid", c.getUid(), ids);
        resolveId(field + ".gid", c.getGid(), ids);
        List<IdRef> gids = c.getAdditionalGids() == null ? List.of() : c.getAdditionalGids();
        for (int g = 0; g < gids.size(); g++) {
          resolveId(field + ".additionalGids[" + g + "]", gids.get(g), ids);
        }
      }
    }
    List<FileSpec> files = spec.getFiles() == null ? List.of() : spec.getFiles();
    for (int i = 0; i < files.size(); i++) {
      resolveId("spec.files[" + i + "].uid", files.get(i).getUid(), ids);
      resolveId("spec.files[" + i + "].gid", files.get(i).getGid(), ids);
    }
  }

  private static void resolveId(String field, IdRef id, Map<String, Long> ids) {
    if (id == null) {
      return;
    }
    try {
      id.resolve(ids);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
    }
  }

  /**
   * The Layer holding the UKI's stub.
   *
   * @throws IllegalArgumentException when an EFI format is asked for without spec.uki.stub.layer
   */
  public static String stubLayer(OSImageSpec spec) {
    if (spec.getUki() == null
        || spec.getUki().getStub() == null
        || spec.getUki().getStub().getLayer() == null) {
      String format =
          spec.effectiveFormats().stream().filter(f -> f.efi()).findFirst().orElseThrow().value();
      throw new IllegalArgumentException(
          "spec.uki.stub.layer is required: format " + format + " is built on an EFI stub");
    }
    return spec.getUki().getStub().getLayer();
  }

  /** The EFI part of the plan; null when no EFI format is built. */
  static BuildPlan.EfiPlan efi(OSImageSpec spec) {
    if (!spec.hasEfiFormat()) {
      return null;
    }
    Map<String, String> paths = new java.util.TreeMap<>();
    for (Architecture arch : spec.getArchitectures()) {
      paths.put(arch.name(), spec.getUki().getStub().effectivePath(arch.name()));
    }
    return new BuildPlan.EfiPlan(paths, diskSize(spec));
  }

  /**
   * spec.disk.size in bytes, or null.
   *
   * @throws IllegalArgumentException when it is not a positive whole number of bytes
   */
  static Long diskSize(OSImageSpec spec) {
    if (spec.getDisk() == null || spec.getDisk().getSize() == null) {
      return null;
    }
    String size = spec.getDisk().getSize();
    BigDecimal b;
    try {
      b = Quantity.getAmountInBytes(new Quantity(size));
    } catch (IllegalArgumentException | ArithmeticException e) {
      b = null;
    }
    if (b == null || b.signum() <= 0 || b.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException(
          "spec.disk.size: \"" + size + "\" is not a positive size such as 512Mi");
    }
    return b.setScale(0, RoundingMode.FLOOR).longValueExact();
  }

  /**
   * The spec's limits, each missing one at its default, each at most {@code max}.
   *
   * @throws IllegalArgumentException when spec.build.limits.maxUncompressedBytes is not a positive
   *     whole number of bytes (the schema rejects most such values before)
   */
  public static UnionLimits limits(OSImageSpec spec, UnionLimits max) {
    BuildLimits l = spec.getBuild() == null ? null : spec.getBuild().getLimits();
    long bytes = UnionLimits.DEFAULTS.maxUncompressedBytes();
    long entries = UnionLimits.DEFAULTS.maxEntries();
    if (l != null && l.getMaxUncompressedBytes() != null) {
      BigDecimal b;
      try {
        b = Quantity.getAmountInBytes(l.getMaxUncompressedBytes());
      } catch (IllegalArgumentException | ArithmeticException e) {
        b = null;
      }
      if (b == null || b.signum() <= 0 || b.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException(
            "spec.build.limits.maxUncompressedBytes: \""
                + l.getMaxUncompressedBytes()
                + "\" is not a positive size such as 8Gi");
      }
      bytes = b.setScale(0, RoundingMode.CEILING).longValueExact();
    }
    if (l != null && l.getMaxEntries() != null) {
      if (l.getMaxEntries() < 1) {
        throw new IllegalArgumentException("spec.build.limits.maxEntries: must be at least 1");
      }
      entries = l.getMaxEntries();
    }
    UnionLimits wanted = new UnionLimits(bytes, entries);
    return max == null ? wanted : wanted.atMost(max);
  }

  /**
   * Checks each entry as the CRD's schema does, so that a plan never carries one the build can't
   * write.
   *
   * @throws IllegalArgumentException naming the first bad entry's field
   */
  public static void validateFiles(String field, List<FileSpec> files) {
    for (int i = 0; files != null && i < files.size(); i++) {
      if (files.get(i) == null) {
        throw new IllegalArgumentException(field + "[" + i + "] is empty");
      }
      files.get(i).validate(field + "[" + i + "]");
    }
  }

  /** The manifest a Layer resolved to for {@code arch}, matching linux/ARCH with any variant. */
  public static Optional<PlatformDigest> platform(Layer layer, Architecture arch) {
    if (layer.getStatus() == null || layer.getStatus().getPlatforms() == null) {
      return Optional.empty();
    }
    String wanted = arch.platform();
    return layer.getStatus().getPlatforms().stream()
        .filter(p -> p.getDigest() != null)
        .filter(p -> wanted.equals(p.getPlatform()) || p.getPlatform().startsWith(wanted + "/"))
        .findFirst();
  }

  private static BuildPlan.LayerRef ref(Map<String, Layer> layers, String name, Architecture arch) {
    Layer layer = layers.get(name);
    if (layer == null) {
      throw new IllegalArgumentException("Layer " + name + " does not exist");
    }
    PlatformDigest p =
        platform(layer, arch)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "Layer " + name + " has no " + arch.platform() + " manifest"));
    String secret = layer.getSpec().getPullSecret();
    return new BuildPlan.LayerRef(
        name,
        OciReference.parse(layer.getSpec().getImage()).repository(),
        p.getDigest(),
        secret == null || secret.isEmpty() ? null : secret);
  }
}

package dev.lamina.plan;

import dev.lamina.api.OutputFormat;
import dev.lamina.assemble.UnionLimits;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a build pod asks of its node, derived from what the plan lets the build unpack: a heap that
 * holds the union's metadata, and disk for the spool and the archives.
 */
public final class BuildPodResources {
  /** Share of the container's memory the builder's heap may take. */
  static final int MAX_RAM_PERCENTAGE = 75;

  /** Heap the builder needs whatever the layers: buffers, the gzip workers, the registry client. */
  static final long HEAP_BASE = 192L << 20;

  /**
   * Heap per allowed entry: the tree node, inode and header objects (about 1 KiB, measured) and the
   * entry's share of names, link targets and xattrs ({@link UnionLimits#METADATA_PER_ENTRY}).
   */
  static final long HEAP_PER_ENTRY = 1024 + UnionLimits.METADATA_PER_ENTRY;

  /** Per entry and output archive: a tar or cpio header, its long-name extension and padding. */
  static final long ARCHIVE_BYTES_PER_ENTRY = 2048;

  /** Room for the plan, logs and the JVM's own temporary files. */
  static final long STORAGE_SLACK = 256L << 20;

  private BuildPodResources() {}

  /**
   * Requests and limits derived from the plan's {@link UnionLimits}; memory and storage requests
   * equal their limits, so a build is placed only where its worst case fits and is not evicted
   * halfway when the node runs short.
   */
  public static ResourceRequirements resources(BuildPlan plan) {
    Quantity memory = mebibytes(memoryBytes(plan.effectiveLimits()));
    Quantity storage = mebibytes(ephemeralStorageBytes(plan));
    return new ResourceRequirementsBuilder()
        .withRequests(
            Map.of("cpu", new Quantity("250m"), "memory", memory, "ephemeral-storage", storage))
        .withLimits(
            Map.of("cpu", new Quantity("2"), "memory", memory, "ephemeral-storage", storage))
        .build();
  }

  /**
   * {@link #resources(BuildPlan)}, with {@code memoryLimit} (spec.build.memoryLimit) in place of
   * the derived memory limit when set; the request is then the smaller of the two.
   */
  public static ResourceRequirements resources(BuildPlan plan, String memoryLimit) {
    ResourceRequirements derived = resources(plan);
    if (memoryLimit == null) {
      return derived;
    }
    Quantity limit = new Quantity(memoryLimit);
    Quantity request = derived.getRequests().get("memory");
    if (Quantity.getAmountInBytes(limit).compareTo(Quantity.getAmountInBytes(request)) < 0) {
      request = limit;
    }
    Map<String, Quantity> requests = new TreeMap<>(derived.getRequests());
    Map<String, Quantity> limits = new TreeMap<>(derived.getLimits());
    requests.put("memory", request);
    limits.put("memory", limit);
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  /** Container memory whose {@link #MAX_RAM_PERCENTAGE} holds the heap the limits allow. */
  static long memoryBytes(UnionLimits limits) {
    long heap = HEAP_BASE + limits.maxEntries() * HEAP_PER_ENTRY;
    return Math.multiplyExact(heap, 100L) / MAX_RAM_PERCENTAGE;
  }

  /**
   * Disk the build may use in /tmp: the spool, which holds at most maxUncompressedBytes of file
   * contents (the kernel layer's included), and each output archive (initrd, rootfs.tar), which
   * holds at most the same contents (the kernel file and the initrd together come from the spool)
   * plus a header per entry; and some slack. So {@code B × (1 + archives) + archives × maxEntries ×
   * 2 KiB + 256 MiB}. The EFI formats count as archives too: each holds the kernel and initrd again
   * (the initrd and a UKI are written even when not asked for), a disk at least 64 MiB more
   * (FAT32's smallest ESP and alignment), and raw-efi all of spec.disk.size.
   */
  static long ephemeralStorageBytes(BuildPlan plan) {
    UnionLimits limits = plan.effectiveLimits();
    long efi = plan.formats().stream().filter(OutputFormat::efi).count();
    long archives =
        (plan.formats().contains(OutputFormat.KERNEL_INITRD) || efi > 0 ? 1 : 0)
            + (plan.formats().contains(OutputFormat.ROOTFS_TAR) ? 1 : 0)
            + (efi > 0 && !plan.formats().contains(OutputFormat.UKI) ? efi + 1 : efi);
    long disks = efi * (64L << 20);
    if (plan.formats().contains(OutputFormat.RAW_EFI)
        && plan.efi() != null
        && plan.efi().diskSize() != null) {
      disks = Math.addExact(disks, plan.efi().diskSize());
    }
    return Math.addExact(
        disks,
        Math.addExact(
            Math.multiplyExact(limits.maxUncompressedBytes(), 1 + archives),
            Math.multiplyExact(archives * limits.maxEntries(), ARCHIVE_BYTES_PER_ENTRY)
                + STORAGE_SLACK));
  }

  private static Quantity mebibytes(long bytes) {
    return new Quantity(((bytes + (1 << 20) - 1) >> 20) + "Mi");
  }
}

package dev.lamina.plan;

import dev.lamina.api.Compression;

/** Media types of the artifacts Lamina pushes. */
public final class ArtifactTypes {
  /** artifactType of a per-architecture manifest. */
  public static final String OS_IMAGE = "application/vnd.lamina.osimage.v1";

  /** Config blob of a per-architecture manifest: build metadata. */
  public static final String BUILD_CONFIG = "application/vnd.lamina.build.config.v1+json";

  public static final String KERNEL = "application/vnd.lamina.kernel.v1";
  public static final String CMDLINE = "application/vnd.lamina.cmdline.v1+text";
  public static final String ROOTFS_TAR = "application/vnd.lamina.rootfs.v1.tar";

  public static final String UKI = "application/vnd.lamina.uki.v1+efi";
  public static final String RAW_EFI = "application/vnd.lamina.disk.v1.raw+efi";
  public static final String QCOW2_EFI = "application/vnd.lamina.disk.v1.qcow2+efi";
  public static final String ISO_EFI = "application/vnd.lamina.disk.v1.iso9660+efi";

  public static final String UKI_FILE = "uki.efi";
  public static final String RAW_EFI_FILE = "disk.raw";
  public static final String QCOW2_EFI_FILE = "disk.qcow2";
  public static final String ISO_EFI_FILE = "disk.iso";

  public static final String KERNEL_FILE = "kernel";
  public static final String INITRD_FILE = "initrd.img";
  public static final String ROOTFS_FILE = "rootfs.tar";
  public static final String CMDLINE_FILE = "cmdline";
  public static final String RESULT_FILE = "result.json";

  private ArtifactTypes() {}

  public static String initrd(Compression compression) {
    return switch (compression) {
      case gzip -> "application/vnd.lamina.initrd.v1.cpio+gzip";
      case zstd -> "application/vnd.lamina.initrd.v1.cpio+zstd";
      case none -> "application/vnd.lamina.initrd.v1.cpio";
    };
  }
}

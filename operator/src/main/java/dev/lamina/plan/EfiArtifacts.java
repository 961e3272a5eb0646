package dev.lamina.plan;

import dev.lamina.api.OutputFormat;
import dev.lamina.assemble.Budget;
import dev.lamina.assemble.LayerSource;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.disk.DiskException;
import dev.lamina.disk.DiskIds;
import dev.lamina.disk.EfiImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The {@link Builder}'s step for the EFI formats: takes the stub from its Layer, the kernel and
 * initrd the build already wrote, and writes the UKI and the disk images built on it.
 */
final class EfiArtifacts {
  /** What the image's own os-release says about it, or Lamina's when it has none. */
  private static final List<String> OS_RELEASE = List.of("usr/lib/os-release", "etc/os-release");

  private static final byte[] DEFAULT_OS_RELEASE =
      "NAME=\"Lamina\"\nID=lamina\n".getBytes(StandardCharsets.UTF_8);

  private EfiArtifacts() {}

  /** The OS release of the union, for the UKI's .osrel section. */
  static byte[] osRelease(LayerUnion union) throws IOException {
    for (String path : OS_RELEASE) {
      if (union.isRegularFile(path)) {
        try (InputStream in = union.openFile("os-release", path)) {
          return in.readNBytes(64 * 1024);
        }
      }
    }
    return DEFAULT_OS_RELEASE;
  }

  /**
   * Writes the EFI formats of {@code plan} into {@code outDir} and adds them to {@code artifacts}.
   *
   * @param stubSource the stub Layer of this architecture
   * @param work a scratch directory for the stub and, unless it is asked for, the UKI
   */
  static void write(
      BuildPlan plan,
      String arch,
      LayerSource stubSource,
      Path kernel,
      Path initrd,
      byte[] osRelease,
      Path work,
      Path outDir,
      Budget budget,
      Consumer<String> progress,
      List<BuildResult.ArtifactRef> artifacts)
      throws IOException {
    String stubPath = plan.efi().stubPaths().get(arch);
    Path stub = work.resolve("stub.efi");
    try (LayerUnion stubLayer =
        new LayerUnion(List.of(stubSource), work, plan.sourceDateEpoch(), 1, budget)) {
      if (!stubLayer.isRegularFile(stubPath)) {
        throw new DiskException(
            DiskException.REASON_BAD_STUB,
            "EFI stub \""
                + stubPath
                + "\" not found in layer \""
                + stubSource.name()
                + "\" (spec.uki.stub)");
      }
      stubLayer.copyFile("EFI stub", stubPath, stub);
    }
    String cmdline =
        plan.kernel() == null || plan.kernel().cmdline() == null ? "" : plan.kernel().cmdline();
    String kernelName =
        "kernel binary \""
            + plan.kernel().binary()
            + "\" in layer \""
            + plan.architectures().get(arch).kernel().name()
            + "\"";
    EfiImages efi =
        new EfiImages(
            arch,
            stub,
            "EFI stub \"" + stubPath + "\" in layer \"" + stubSource.name() + "\"",
            kernel,
            kernelName,
            initrd,
            cmdline,
            osRelease,
            new DiskIds(plan.inputDigest(), arch, plan.sourceDateEpoch()),
            plan.sourceDateEpoch());
    List<OutputFormat> formats = plan.formats();
    Long diskSize = plan.efi().diskSize();
    boolean keepUki = formats.contains(OutputFormat.UKI);
    Path uki = (keepUki ? outDir : work).resolve(ArtifactTypes.UKI_FILE);
    progress.accept(arch + ": writing " + ArtifactTypes.UKI_FILE);
    efi.writeUki(uki);
    if (keepUki) {
      artifacts.add(Builder.artifact(uki, ArtifactTypes.UKI_FILE, ArtifactTypes.UKI));
    }
    if (formats.contains(OutputFormat.RAW_EFI)) {
      Path raw = outDir.resolve(ArtifactTypes.RAW_EFI_FILE);
      progress.accept(arch + ": writing " + ArtifactTypes.RAW_EFI_FILE);
      efi.writeRaw(uki, diskSize, raw);
      artifacts.add(Builder.artifact(raw, ArtifactTypes.RAW_EFI_FILE, ArtifactTypes.RAW_EFI));
    }
    if (formats.contains(OutputFormat.QCOW2_EFI)) {
      Path qcow2 = outDir.resolve(ArtifactTypes.QCOW2_EFI_FILE);
      progress.accept(arch + ": writing " + ArtifactTypes.QCOW2_EFI_FILE);
      efi.writeQcow2(uki, diskSize, qcow2);
      artifacts.add(Builder.artifact(qcow2, ArtifactTypes.QCOW2_EFI_FILE, ArtifactTypes.QCOW2_EFI));
    }
    if (formats.contains(OutputFormat.ISO_EFI)) {
      Path iso = outDir.resolve(ArtifactTypes.ISO_EFI_FILE);
      progress.accept(arch + ": writing " + ArtifactTypes.ISO_EFI_FILE);
      efi.writeIso(uki, iso);
      artifacts.add(Builder.artifact(iso, ArtifactTypes.ISO_EFI_FILE, ArtifactTypes.ISO_EFI));
    }
    Files.deleteIfExists(stub);
    if (!keepUki) {
      Files.deleteIfExists(uki);
    }
  }
}

package dev.lamina.plan;

import dev.lamina.api.FileSpec;
import dev.lamina.api.OutputFormat;
import dev.lamina.api.Overlap;
import dev.lamina.api.PolicyAction;
import dev.lamina.assemble.AssemblyException;
import dev.lamina.assemble.Budget;
import dev.lamina.assemble.InitrdWriter;
import dev.lamina.assemble.LayerSource;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.assemble.RootfsTarWriter;
import dev.lamina.files.Trees;
import dev.lamina.oci.AuthException;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.DigestMismatchException;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageConfig;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.NotFoundException;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciException;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.RegistryTimeoutException;
import dev.lamina.supply.Referrers;
import dev.lamina.supply.Sbom;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds one architecture of a {@link BuildPlan}: pulls its layers by digest, unions them, writes
 * the artifacts into a directory, and pushes them. Everything is written locally before anything is
 * pushed, so a bad layer never leaves half an image in the registry. The build pod and {@code
 * lamina build} both run this.
 */
public final class Builder {
  private final OciClient client;
  private final Function<BuildPlan.LayerRef, OciClient> pullClient;
  private final Path tempDir;
  private final Consumer<String> progress;

  /**
   * @param tempDir where the union spools file contents; it never reaches the output
   * @param progress receives one line per step
   */
  public Builder(OciClient client, Path tempDir, Consumer<String> progress) {
    this(client, ref -> client, tempDir, progress);
  }

  /**
   * @param client pushes, and pulls where {@code pullClient} says so
   * @param pullClient the client that pulls one layer: the build pod gives each layer its own pull
   *     Secret's credentials, so the push Secret never reaches a layer's registry
   */
  public Builder(
      OciClient client,
      Function<BuildPlan.LayerRef, OciClient> pullClient,
      Path tempDir,
      Consumer<String> progress) {
    this.client = client;
    this.pullClient = pullClient;
    this.tempDir = tempDir;
    this.progress = progress;
  }

  /** The artifacts of one architecture, written to a directory and not yet pushed. */
  public record Assembled(
      String architecture,
      Path dir,
      List<BuildResult.ArtifactRef> artifacts,
      List<Overlap> overlaps,
      int overlapCount) {}

  /** Assembles {@code arch} of {@code plan} into {@code outDir} (created if needed). */
  public Assembled assemble(BuildPlan plan, String arch, Path outDir) throws BuildException {
    BuildPlan.ArchPlan archPlan = plan.architectures().get(arch);
    if (archPlan == null) {
      throw new BuildException("InvalidPlan", "the plan has no architecture " + arch);
    }
    boolean kernelFormat = plan.formats().contains(OutputFormat.KERNEL_INITRD);
    if (kernelFormat && archPlan.kernel() == null) {
      throw new BuildException("KernelMissing", "kernel+initrd needs a kernel layer");
    }
    boolean efi = plan.formats().stream().anyMatch(OutputFormat::efi);
    if (efi && (archPlan.kernel() == null || archPlan.stub() == null || plan.efi() == null)) {
      throw new BuildException(
          "InvalidPlan", "the EFI formats need a kernel layer and spec.uki.stub for " + arch);
    }
    // One budget for the whole build: the kernel layer, its modules and every init layer.
    Budget budget = new Budget(plan.effectiveLimits());
    try {
      Files.createDirectories(outDir);
      // The kernel and initrd the EFI formats are built from, when they aren't artifacts too.
      Path work = efi ? Files.createTempDirectory(tempDir, "efi-") : null;
      Path kernelDir = kernelFormat ? outDir : work;
      List<LayerSource> init = new ArrayList<>();
      Sbom sbom = new Sbom(plan.osImage(), arch, plan.sourceDateEpoch());
      if (archPlan.kernel() != null) {
        sbom.layer("kernel", archPlan.kernel());
        sbom.layerReferrers(
            pullClient.apply(archPlan.kernel()).repository(archPlan.kernel().image()),
            archPlan.kernel());
      }
      for (BuildPlan.LayerRef ref : archPlan.init()) {
        init.add(source(ref, arch));
        sbom.layer("init", ref);
        sbom.layerReferrers(pullClient.apply(ref).repository(ref.image()), ref);
      }
      List<BuildResult.ArtifactRef> artifacts = new ArrayList<>();
      List<Overlap> overlaps = new ArrayList<>();
      int overlapCount;
      // The kernel layer is read while the init layers are: it does not depend on them, and its
      // one blob would otherwise be read afterwards with a core idle.
      KernelRead kernelRead = null;
      if (archPlan.kernel() != null) {
        progress.accept(arch + ": reading kernel layer " + archPlan.kernel().name());
        kernelRead =
            new KernelRead(source(archPlan.kernel(), arch), plan.sourceDateEpoch(), budget);
      }
      progress.accept(arch + ": applying " + init.size() + " init layer(s)");
      try (KernelRead pending = kernelRead;
          ContainerBundles bundles =
              new ContainerBundles(images(arch, sbom), tempDir, plan.sourceDateEpoch(), budget);
          LayerUnion union = new LayerUnion(init, tempDir, plan.sourceDateEpoch(), budget)) {
        Path ucode = null;
        if (pending != null) {
          try (LayerUnion kernelLayer = pending.take()) {
            ucode =
                addKernel(
                    plan,
                    archPlan.kernel(),
                    arch,
                    union,
                    kernelLayer,
                    kernelDir,
                    kernelFormat || efi,
                    sbom);
          }
          if (kernelFormat) {
            Path kernel = outDir.resolve(ArtifactTypes.KERNEL_FILE);
            artifacts.add(artifact(kernel, ArtifactTypes.KERNEL_FILE, ArtifactTypes.KERNEL));
          }
        }
        if (plan.containers() != null) {
          progress.accept(
              arch + ": laying out " + plan.containers().all().size() + " container(s)");
          bundles.addTo(union, plan, archPlan);
        }
        if (plan.files() != null && !plan.files().isEmpty()) {
          union.addFiles(
              "spec.files",
              plan.files(),
              plan.containerIds(),
              f -> generated(plan, archPlan, bundles, f));
        }
        if (kernelFormat || efi) {
          Path initrd = kernelDir.resolve(ArtifactTypes.INITRD_FILE);
          progress.accept(arch + ": writing " + ArtifactTypes.INITRD_FILE);
          try (OutputStream out = Files.newOutputStream(initrd)) {
            if (ucode != null) {
              // Early microcode: an uncompressed cpio the kernel reads before the initramfs.
              Files.copy(ucode, out);
            }
            new InitrdWriter(plan.compression()).write(union, out);
          }
          if (ucode != null) {
            Files.delete(ucode);
          }
          if (efi) {
            EfiArtifacts.write(
                plan,
                arch,
                source(archPlan.stub(), arch),
                kernelDir.resolve(ArtifactTypes.KERNEL_FILE),
                initrd,
                EfiArtifacts.osRelease(union),
                work,
                outDir,
                budget,
                progress,
                artifacts);
          }
        }
        if (kernelFormat) {
          Path initrd = outDir.resolve(ArtifactTypes.INITRD_FILE);
          artifacts.add(
              artifact(
                  initrd, ArtifactTypes.INITRD_FILE, ArtifactTypes.initrd(plan.compression())));
          Path cmdline = outDir.resolve(ArtifactTypes.CMDLINE_FILE);
          String text =
              plan.kernel() == null || plan.kernel().cmdline() == null
                  ? ""
                  : plan.kernel().cmdline();
          Files.writeString(cmdline, text, StandardCharsets.UTF_8);
          artifacts.add(artifact(cmdline, ArtifactTypes.CMDLINE_FILE, ArtifactTypes.CMDLINE));
        }
        if (plan.formats().contains(OutputFormat.ROOTFS_TAR)) {
          Path rootfs = outDir.resolve(ArtifactTypes.ROOTFS_FILE);
          progress.accept(arch + ": writing " + ArtifactTypes.ROOTFS_FILE);
          try (OutputStream out = Files.newOutputStream(rootfs)) {
            new RootfsTarWriter().write(union, out);
          }
          artifacts.add(artifact(rootfs, ArtifactTypes.ROOTFS_FILE, ArtifactTypes.ROOTFS_TAR));
        }
        progress.accept(arch + ": writing " + Sbom.FILE);
        sbom.scan(union);
        Path sbomFile = outDir.resolve(Sbom.FILE);
        Files.write(sbomFile, sbom.toJson());
        artifacts.add(artifact(sbomFile, Sbom.FILE, Sbom.MEDIA_TYPE));
        overlaps.addAll(union.overlaps());
        overlapCount = (int) union.overlapCount();
      }
      if (work != null) {
        Trees.delete(work);
      }
      return new Assembled(
          arch, outDir, List.copyOf(artifacts), List.copyOf(overlaps), overlapCount);
    } catch (IOException e) {
      throw classify(e);
    }
  }

  /**
   * The kernel layer's union, read on a thread of its own. Closing it waits for the read and
   * removes its spool unless {@link #take()} handed the union over.
   */
  private final class KernelRead implements AutoCloseable {
    private final FutureTask<LayerUnion> task;
    private boolean taken;

    KernelRead(LayerSource source, long sourceDateEpoch, Budget budget) {
      task =
          new FutureTask<>(
              () -> new LayerUnion(List.of(source), tempDir, sourceDateEpoch, 1, budget));
      Thread t = new Thread(task, "lamina-kernel-layer");
      t.setDaemon(true);
      t.start();
    }

    LayerUnion take() throws IOException {
      taken = true;
      try {
        return task.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        if (e.getCause() instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the kernel layer");
      }
    }

    @Override
    public void close() throws IOException {
      if (taken) {
        return;
      }
      try {
        take().close();
      } catch (IOException | RuntimeException e) {
        // the build failed already (that is why the union was not taken); this is not its cause
      }
    }
  }

  /** Adds the kernel's modules; returns the ucode cpio copied out of the layer, or null. */
  private Path addKernel(
      BuildPlan plan,
      BuildPlan.LayerRef kernelRef,
      String arch,
      LayerUnion union,
      LayerUnion kernelLayer,
      Path kernelDir,
      boolean copyKernel,
      Sbom sbom)
      throws IOException, BuildException {
    String binary = plan.kernel() == null ? "kernel" : plan.kernel().binary();
    String modules = plan.kernel() == null ? "kernel.tar" : plan.kernel().modules();
    if (copyKernel) {
      Path kernel = kernelDir.resolve(ArtifactTypes.KERNEL_FILE);
      if (!kernelLayer.isRegularFile(binary)) {
        throw new BuildException(
            "KernelMissing",
            "kernel binary \"" + binary + "\" not found in layer \"" + kernelRef.name() + "\"");
      }
      kernelLayer.copyFile("kernel binary", binary, kernel);
    }
    sbom.kernelFiles(kernelLayer);
    if (kernelLayer.isRegularFile(modules)) {
      progress.accept(arch + ": unpacking " + modules + " from " + kernelRef.name());
      union.addTarball(
          kernelRef.name() + ":" + modules, () -> kernelLayer.openFile("modules tarball", modules));
    }
    String ucode = plan.kernel() == null ? null : plan.kernel().ucode();
    if (ucode == null) {
      return null;
    }
    if (!kernelLayer.isRegularFile(ucode)) {
      throw new BuildException(
          "KernelMissing",
          "spec.kernel.ucode: \"" + ucode + "\" not found in layer \"" + kernelRef.name() + "\"");
    }
    Path copy = Files.createTempFile(tempDir, "ucode-", ".cpio");
    kernelLayer.copyFile("microcode", ucode, copy);
    return copy;
  }

  /** Pushes the artifacts of {@code assembled}: blobs first, the manifest last. */
  public BuildResult push(BuildPlan plan, Assembled assembled) throws BuildException {
    if (plan.output() == null || plan.output().repository() == null) {
      throw new BuildException("NoOutput", "spec.output.repository is needed to push");
    }
    return push(client.repository(plan.output().repository()), plan, assembled, progress);
  }

  /**
   * Pushes the artifacts of {@code assembled} to {@code repo}: its blobs, its manifest, then its
   * SBOM as a referrer of the manifest.
   */
  public static BuildResult push(
      OciRepository repo, BuildPlan plan, Assembled assembled, Consumer<String> progress)
      throws BuildException {
    try {
      ImageManifest manifest = manifest(plan, assembled);
      for (Descriptor d : manifest.layers()) {
        String name = d.annotations().get(MediaTypes.ANNOTATION_TITLE);
        Path file = assembled.dir().resolve(name);
        progress.accept(
            assembled.architecture() + ": pushing " + name + " (" + d.size() + " bytes)");
        repo.pushBlob(d, () -> Files.newInputStream(file), null);
      }
      byte[] config = BuildConfig.of(plan, assembled).toJson();
      repo.pushBlob(manifest.config(), () -> new java.io.ByteArrayInputStream(config), null);
      Descriptor pushed = repo.pushManifest(manifest.toJson(), MediaTypes.OCI_MANIFEST, null);
      // The SBOM is not a layer of the image: it refers to the manifest, so it goes after it.
      Optional<BuildResult.ArtifactRef> sbomRef =
          assembled.artifacts().stream()
              .filter(a -> Sbom.MEDIA_TYPE.equals(a.mediaType()))
              .findFirst();
      if (sbomRef.isPresent()) {
        BuildResult.ArtifactRef sbom = sbomRef.get();
        progress.accept(assembled.architecture() + ": pushing " + sbom.name() + " as a referrer");
        Referrers.push(
            repo,
            pushed,
            Sbom.MEDIA_TYPE,
            sbom.name(),
            Files.readAllBytes(assembled.dir().resolve(sbom.name())));
      }
      return new BuildResult(
          assembled.architecture(),
          plan.inputDigest(),
          pushed.digest(),
          assembled.artifacts(),
          assembled.overlaps(),
          assembled.overlapCount(),
          null);
    } catch (IOException e) {
      throw classify(e);
    }
  }

  /** An artifact as a layer of the per-architecture manifest, named by its title. */
  private static Descriptor layer(BuildResult.ArtifactRef a) {
    return new Descriptor(
        a.mediaType(),
        a.digest(),
        a.size(),
        Map.of(MediaTypes.ANNOTATION_TITLE, a.name()),
        null,
        null);
  }

  /**
   * The per-architecture manifest of {@code assembled}: what {@link #push} pushes, and what {@code
   * lamina verify} compares a rebuild with.
   */
  public static ImageManifest manifest(BuildPlan plan, Assembled assembled) throws IOException {
    List<Descriptor> layers = new ArrayList<>();
    for (BuildResult.ArtifactRef a : assembled.artifacts()) {
      if (!Sbom.MEDIA_TYPE.equals(a.mediaType())) {
        layers.add(layer(a));
      }
    }
    // Embedded as well as pushed: a cache hit reads the overlaps from the manifest alone.
    Descriptor configDesc =
        Descriptor.embedding(ArtifactTypes.BUILD_CONFIG, BuildConfig.of(plan, assembled).toJson());
    return ImageManifest.of(ArtifactTypes.OS_IMAGE, configDesc, layers, Map.of());
  }

  /**
   * The failure of an assembled architecture that must not be pushed because the plan says policy
   * denies overlapping init layers (LMN009) and the union has some; empty when it may be pushed.
   * The failure keeps the overlaps, so the operator evaluates policy on them and blocks the image.
   */
  public static Optional<BuildResult> deniedOverlaps(BuildPlan plan, Assembled a) {
    if (plan.output() == null
        || plan.output().overlaps() != PolicyAction.Deny
        || a.overlapCount() == 0) {
      return Optional.empty();
    }
    Overlap first = a.overlaps().isEmpty() ? null : a.overlaps().get(0);
    String message =
        "policy rule LMN009 denies init layers that write the same path: "
            + a.overlapCount()
            + " path(s)"
            + (first == null
                ? ""
                : ", e.g. " + first.path() + " (" + first.lower() + ", " + first.upper() + ")")
            + "; nothing was pushed";
    return Optional.of(
        new BuildResult(
            a.architecture(),
            plan.inputDigest(),
            null,
            null,
            a.overlaps(),
            a.overlapCount(),
            new BuildResult.Failure("PolicyDenied", message)));
  }

  /** The result of a build that was not pushed: artifacts and overlaps, no manifest. */
  public static BuildResult unpushed(BuildPlan plan, Assembled a) {
    return new BuildResult(
        a.architecture(),
        plan.inputDigest(),
        null,
        a.artifacts(),
        a.overlaps(),
        a.overlapCount(),
        null);
  }

  /** The contents of a file entry given by a source or metadata; null for a missing optional. */
  private static byte[] generated(
      BuildPlan plan, BuildPlan.ArchPlan arch, ContainerBundles bundles, FileSpec f)
      throws IOException {
    String field = "spec.files[" + plan.files().indexOf(f) + "]";
    if (f.getMetadata() != null) {
      return ImageDescription.of(plan, arch, f.getMetadata());
    }
    BuildPlan.LayerRef ref;
    try {
      ref = arch.layer(f.getSource().getLayer());
    } catch (IllegalArgumentException e) {
      throw new AssemblyException("InvalidPlan", field + ".source: " + e.getMessage());
    }
    return bundles.fileOf(field + ".source", ref, f.getSource().getPath(), f.isOptional());
  }

  /** Pulls the Layers of containers and file sources by digest, and lists them in the SBOM. */
  private ContainerBundles.Images images(String arch, Sbom sbom) {
    return new ContainerBundles.Images() {
      @Override
      public LayerSource source(BuildPlan.LayerRef ref, String role) throws IOException {
        sbom.layer(role, ref);
        return Builder.this.source(ref, arch);
      }

      @Override
      public ImageConfig config(BuildPlan.LayerRef ref) throws IOException {
        OciRepository repo = pullClient.apply(ref).repository(ref.image());
        ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(ref.digest()));
        try (InputStream in = repo.openBlob(manifest.config())) {
          return ImageConfig.parse(in.readNBytes(4 << 20));
        }
      }
    };
  }

  private LayerSource source(BuildPlan.LayerRef ref, String arch) throws IOException {
    OciRepository repo = pullClient.apply(ref).repository(ref.image());
    ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(ref.digest()));
    List<dev.lamina.oci.IoSupplier<InputStream>> blobs = new ArrayList<>();
    for (Descriptor layer : manifest.layers()) {
      blobs.add(() -> repo.openBlob(layer));
    }
    progress.accept(
        arch + ": layer " + ref.name() + " " + ref.digest() + " (" + blobs.size() + " blob(s))");
    return new LayerSource(ref.name(), blobs);
  }

  /** The artifact a build lists for {@code file}, under {@code name}. */
  public static BuildResult.ArtifactRef artifact(Path file, String name, String mediaType)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new BuildResult.ArtifactRef(name, mediaType, Digests.sha256(in), Files.size(file));
    }
  }

  /** Maps a failure to the reason a user sees in status. */
  public static BuildException classify(IOException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof OciException)) {
      cause = cause.getCause();
    }
    if (cause instanceof DigestMismatchException) {
      return new BuildException("DigestMismatch", cause.getMessage(), e);
    }
    if (cause instanceof RegistryTimeoutException) {
      return new BuildException("RegistryTimeout", cause.getMessage(), e);
    }
    if (cause instanceof AuthException) {
      return new BuildException("RegistryAuth", cause.getMessage(), e);
    }
    if (cause instanceof NotFoundException) {
      return new BuildException("NotFound", cause.getMessage(), e);
    }
    if (cause instanceof OciException) {
      return new BuildException("RegistryError", cause.getMessage(), e);
    }
    if (e instanceof AssemblyException a) {
      return new BuildException(a.reason(), message, e);
    }
    return new BuildException("IOError", message, e);
  }
}

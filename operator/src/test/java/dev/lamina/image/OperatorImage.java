package dev.lamina.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import dev.lamina.cli.VersionProvider;
import dev.lamina.files.Trees;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Builds Lamina's own multi-arch image: jib-core makes one image per architecture from files only
 * (no base image, no Docker, no network), as an OCI tarball; Lamina's OCI client then pushes each
 * image's blobs and manifest, and one OCI image index over both, to a registry and/or an OCI image
 * layout. jib-core writes neither an index nor multi-platform images from scratch, hence the split.
 *
 * <p>Layers, from least to most often changed: the Java runtime with its system libraries, the
 * dependency jars, the application jar. Every entry has a fixed time and owner and jib sorts them,
 * so the same inputs give the same digests. The entry point runs {@code dev.lamina.cli.Main}, the
 * {@code lamina} command: container arguments are lamina's arguments ({@code --version}, {@code
 * operator}, {@code build --plan …}).
 *
 * <p>This lives in the test sources so that jib-core stays out of lamina.jar; {@code
 * hack/build-image.sh} runs {@link #main} and {@code OperatorImageIT} calls {@link #build}.
 */
public final class OperatorImage {
  static final List<String> ARCHITECTURES = List.of("amd64", "arm64");
  static final String APP = "/opt/lamina/app";
  static final String LIB = "/opt/lamina/lib";
  static final String ARGFILE = APP + "/java.args";
  static final String USER = "65532:65532";
  static final List<String> ENTRYPOINT = List.of("/opt/lamina/java/bin/java", "@" + ARGFILE);

  /** Fixed times: the image config's creation time and every file's modification time. */
  private static final Instant CREATED = Instant.EPOCH;

  private static final Instant MTIME = Instant.ofEpochSecond(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to build and where to put it.
   *
   * @param appJar lamina's own classes (the jar before shading)
   * @param libDir the runtime dependency jars
   * @param work scratch and package cache; reused between builds
   * @param jdkVersion the Debian openjdk-17 version for every architecture; null: apt's candidate
   * @param registry {@code host/repo[:tag]} to push to, or null
   * @param layout an OCI image layout directory to write to, or null
   * @param tag the tag for the layout (and the registry when its reference has none)
   */
  public record Request(
      Path appJar,
      Path libDir,
      Path work,
      String jdkVersion,
      List<String> architectures,
      String registry,
      Path layout,
      String tag,
      Set<String> insecureRegistries) {}

  /** One architecture's image manifest and its compressed size (config and layers). */
  public record ArchImage(String architecture, Descriptor manifest, long compressedSize) {}

  /**
   * The result: the index digest, each architecture's image, where it went, and the Debian packages
   * used.
   */
  public record Result(
      String indexDigest,
      List<ArchImage> images,
      List<String> references,
      List<String> packages,
      Duration took) {}

  private OperatorImage() {}

  public static void main(String[] args) throws Exception {
    Request request = parse(args);
    Result result = build(request, System.err);
    PrintStream out = System.out;
    for (ArchImage a : result.images()) {
      out.printf(
          "linux/%s manifest %s compressed %d bytes (%.1f MB)%n",
          a.architecture(), a.manifest().digest(), a.compressedSize(), a.compressedSize() / 1e6);
    }
    out.println("index " + result.indexDigest() + " built in " + result.took().toSeconds() + " s");
    // Last line: what a script pulls or hands to kustomize; the registry's when there is one.
    for (String ref : result.references()) {
      out.println(ref);
    }
  }

  static Request parse(String[] args) {
    Path jar = null;
    Path lib = null;
    Path work = null;
    String jdk = System.getenv("LAMINA_IMAGE_JDK_VERSION");
    String push = null;
    Path layout = null;
    String tag = null;
    List<String> archs = ARCHITECTURES;
    Set<String> insecure = new java.util.TreeSet<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null && !a.equals("--help")) {
        throw usage(a + " needs a value");
      }
      switch (a) {
        case "--app-jar" -> jar = Path.of(v);
        case "--lib" -> lib = Path.of(v);
        case "--work" -> work = Path.of(v);
        case "--jdk-version" -> jdk = v;
        case "--push" -> push = v;
        case "--oci-layout" -> layout = Path.of(v);
        case "--tag" -> tag = v;
        case "--arch" -> archs = List.of(v.split(","));
        case "--insecure-registry" -> insecure.add(v);
        default -> throw usage("unknown option " + a);
      }
      i++;
    }
    if (jar == null || lib == null || work == null) {
      throw usage("--app-jar, --lib and --work are required");
    }
    if (push == null && layout == null) {
      throw usage("give --push REGISTRY/REPO[:TAG], --oci-layout DIR, or both");
    }
    return new Request(jar, lib, work, jdk, archs, push, layout, tag, insecure);
  }

  private static IllegalArgumentException usage(String why) {
    return new IllegalArgumentException(
        "build-image: "
            + why
            + "\nusage: --app-jar JAR --lib DIR --work DIR [--push REGISTRY/REPO[:TAG]]"
            + " [--oci-layout DIR] [--tag TAG] [--arch amd64,arm64] [--jdk-version V]"
            + " [--insecure-registry HOST:PORT]");
  }

  /** Builds every architecture and publishes the index; progress goes to {@code log}. */
  public static Result build(Request request, PrintStream log) throws Exception {
    long start = System.nanoTime();
    if (!Files.isRegularFile(request.appJar())) {
      throw new IOException("app jar " + request.appJar() + " does not exist: run mvn package");
    }
    List<Path> libs = jars(request.libDir());
    String version = VersionProvider.version();
    String tag = tag(request, version);
    Files.createDirectories(request.work());
    DebianPackageSet debs = new DebianPackageSet(request.work().resolve("debs"));
    String jdkVersion = JavaRuntime.jdkVersion(request.jdkVersion());
    log.println("build-image: JDK " + jdkVersion + " for " + request.architectures());

    List<Target> targets = targets(request, tag);
    List<ArchImage> images = new ArrayList<>();
    Map<String, Path> staged = new LinkedHashMap<>();
    for (String arch : request.architectures()) {
      Path archWork = request.work().resolve(arch);
      Trees.delete(archWork);
      Path rootfs = archWork.resolve("rootfs");
      log.println("build-image: " + arch + ": runtime (jlink, libraries, CA certificates)");
      JavaRuntime.stage(debs, jdkVersion, arch, request.work(), rootfs);
      staged.put(arch, rootfs);
    }
    // The package list is known only once every architecture's packages were unpacked; it goes
    // into each runtime layer so an image says what it is made of.
    String packages = String.join("\n", debs.fetched()) + "\n";
    for (String arch : request.architectures()) {
      Path rootfs = staged.get(arch);
      Files.writeString(rootfs.resolve("opt/lamina/debian-packages.txt"), packages);
      Path archWork = request.work().resolve(arch);
      log.println("build-image: " + arch + ": jib");
      Path tar = archWork.resolve("image.tar");
      jib(arch, rootfs, libs, request.appJar(), archWork, version, jdkVersion, tar);
      Path blobs = archWork.resolve("oci");
      Descriptor manifest = unpackTarball(tar, blobs);
      byte[] manifestBytes = Files.readAllBytes(blob(blobs, manifest.digest()));
      ImageManifest m = ImageManifest.parse(manifestBytes);
      for (Target t : targets) {
        for (Descriptor d : withConfig(m)) {
          t.repo().pushBlob(d, () -> Files.newInputStream(blob(blobs, d.digest())), null);
        }
        t.repo().pushManifest(manifestBytes, m.mediaType(), null);
      }
      Descriptor entry =
          new Descriptor(
              m.mediaType(),
              manifest.digest(),
              manifestBytes.length,
              Map.of(),
              Platform.linux(arch),
              null);
      images.add(new ArchImage(arch, entry, m.layersSize() + m.config().size()));
    }
    ImageIndex index =
        ImageIndex.of(
            images.stream().map(ArchImage::manifest).toList(),
            Map.of("org.opencontainers.image.version", version));
    byte[] indexBytes = index.toJson();
    String digest = null;
    List<String> refs = new ArrayList<>();
    for (Target t : targets) {
      digest = t.repo().pushManifest(indexBytes, MediaTypes.OCI_INDEX, tag).digest();
      refs.add(t.name() + "@" + digest);
    }
    return new Result(
        digest, images, refs, debs.fetched(), Duration.ofNanos(System.nanoTime() - start));
  }

  private record Target(String name, OciRepository repo) {}

  /** The layout first, so the registry's reference is printed last. */
  private static List<Target> targets(Request request, String tag) throws IOException {
    OciClient client = OciClient.builder().insecureHosts(request.insecureRegistries()).build();
    List<Target> targets = new ArrayList<>();
    if (request.layout() != null) {
      Files.createDirectories(request.layout());
      String name = "oci:" + request.layout().toAbsolutePath();
      targets.add(new Target(name, client.repository(name)));
    }
    if (request.registry() != null) {
      OciReference ref = OciReference.parse(request.registry());
      if (ref.isLayout() || ref.digest() != null) {
        throw new IllegalArgumentException(
            "--push wants REGISTRY/REPO[:TAG], not " + request.registry());
      }
      String name = ref.repository();
      targets.add(new Target(name, client.repository(name)));
    }
    return targets;
  }

  private static String tag(Request request, String version) {
    if (request.registry() != null) {
      OciReference ref = OciReference.parse(request.registry());
      if (ref.tag() != null) {
        return request.tag() != null ? request.tag() : ref.tag();
      }
    }
    return request.tag() != null ? request.tag() : version;
  }

  private static List<Path> jars(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> jars =
          s.filter(p -> p.getFileName().toString().endsWith(".jar"))
              .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
              .toList();
      if (jars.isEmpty()) {
        throw new IOException("no dependency jars in " + dir + ": run mvn package");
      }
      return jars;
    }
  }

  private static void jib(
      String arch,
      Path rootfs,
      List<Path> libs,
      Path appJar,
      Path work,
      String version,
      String jdkVersion,
      Path tar)
      throws Exception {
    FileEntriesLayer.Builder runtime = FileEntriesLayer.builder().setName("runtime");
    List<Path> files;
    try (Stream<Path> s = Files.walk(rootfs)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      String path = "/" + rootfs.relativize(f);
      runtime.addEntry(new FileEntry(f, AbsoluteUnixPath.get(path), mode(f), MTIME, "0:0"));
    }
    Path empty = Files.createDirectories(work.resolve("empty-dir"));
    // The operator and build pods mount an emptyDir on /tmp; under a plain runtime it must
    // still be writable by 65532 (jib cannot set the sticky bit).
    runtime.addEntry(
        new FileEntry(
            empty, AbsoluteUnixPath.get("/tmp"), FilePermissions.fromOctalString("777"), MTIME));
    runtime.addEntry(
        new FileEntry(
            empty,
            AbsoluteUnixPath.get("/home/lamina"),
            FilePermissions.fromOctalString("755"),
            MTIME,
            USER));

    FileEntriesLayer.Builder deps = FileEntriesLayer.builder().setName("dependencies");
    List<String> classpath = new ArrayList<>();
    classpath.add(APP + "/lamina.jar");
    for (Path jar : libs) {
      String path = LIB + "/" + jar.getFileName();
      deps.addEntry(
          new FileEntry(
              jar, AbsoluteUnixPath.get(path), FilePermissions.fromOctalString("644"), MTIME));
      classpath.add(path);
    }

    // The class path is listed in full, in a fixed order, rather than as lib/*, whose order is
    // the directory's and so not fixed.
    Path argfile = work.resolve("java.args");
    Files.writeString(
        argfile,
        "-cp " + String.join(":", classpath) + "\ndev.lamina.cli.Main\n",
        StandardCharsets.UTF_8);
    FileEntriesLayer app =
        FileEntriesLayer.builder()
            .setName("application")
            .addEntry(
                new FileEntry(
                    appJar,
                    AbsoluteUnixPath.get(APP + "/lamina.jar"),
                    FilePermissions.fromOctalString("644"),
                    MTIME))
            .addEntry(
                new FileEntry(
                    argfile,
                    AbsoluteUnixPath.get(ARGFILE),
                    FilePermissions.fromOctalString("644"),
                    MTIME))
            .build();

    JibContainerBuilder image =
        Jib.fromScratch()
            .setFormat(ImageFormat.OCI)
            .setPlatforms(
                Set.of(new com.google.cloud.tools.jib.api.buildplan.Platform(arch, "linux")))
            .setCreationTime(CREATED)
            .setFileEntriesLayers(runtime.build(), deps.build(), app)
            .setEntrypoint(ENTRYPOINT)
            .setUser(USER)
            .setWorkingDirectory(AbsoluteUnixPath.get("/tmp"))
            // Sorted maps: Map.of iterates in a different order in every JVM, and jib keeps the
            // order in the config.
            .setEnvironment(
                sorted(
                    "JAVA_HOME",
                    "/opt/lamina/java",
                    "PATH",
                    "/opt/lamina/java/bin:/usr/bin:/bin",
                    // The runtime layer carries this locale (from libc-bin): UTF-8 file names and
                    // output.
                    "LANG",
                    "C.UTF-8"))
            .setLabels(
                sorted(
                    "org.opencontainers.image.title",
                    "lamina",
                    "org.opencontainers.image.version",
                    version,
                    "dev.lamina.jdk",
                    "openjdk-17 " + jdkVersion));
    Files.deleteIfExists(tar);
    image.containerize(
        Containerizer.to(TarImage.at(tar).named("lamina:" + arch))
            .setBaseImageLayersCache(work.resolve("jib-cache/base"))
            .setApplicationLayersCache(work.resolve("jib-cache/app"))
            .setOfflineMode(true)
            .setToolName("lamina-build-image"));
  }

  private static Map<String, String> sorted(String... keyValues) {
    Map<String, String> map = new java.util.TreeMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    return map;
  }

  /** Executable files 755, the rest 644: only that bit of the unpacked files is kept. */
  private static FilePermissions mode(Path f) {
    return FilePermissions.fromOctalString(Files.isExecutable(f) ? "755" : "644");
  }

  /** Unpacks jib's OCI tarball into {@code dir} and returns its one manifest's descriptor. */
  private static Descriptor unpackTarball(Path tar, Path dir) throws IOException {
    Trees.delete(dir);
    Files.createDirectories(dir);
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (!e.isFile()) {
          continue;
        }
        Path target = dir.resolve(e.getName()).normalize();
        if (!target.startsWith(dir)) {
          throw new IOException("jib tarball entry outside its root: " + e.getName());
        }
        Files.createDirectories(target.getParent());
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
    JsonNode manifests = index.path("manifests");
    if (manifests.size() != 1) {
      throw new IOException("jib wrote " + manifests.size() + " manifests, expected one");
    }
    JsonNode m = manifests.get(0);
    return new Descriptor(
        m.path("mediaType").asText(MediaTypes.OCI_MANIFEST),
        m.path("digest").asText(),
        m.path("size").asLong());
  }

  private static List<Descriptor> withConfig(ImageManifest m) {
    List<Descriptor> all = new ArrayList<>(m.layers());
    all.add(m.config());
    return all;
  }

  private static Path blob(Path dir, String digest) {
    return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  /** The image manifest of {@code arch} under an index, and its image config, as JSON. */
  static JsonNode config(OciRepository repo, String indexDigest, String arch) throws IOException {
    ImageIndex index = ImageIndex.parse(repo.manifestBytes(indexDigest));
    Descriptor d = index.select(Platform.linux(arch)).orElseThrow();
    ImageManifest m = ImageManifest.parse(repo.manifestBytes(d.digest()));
    try (InputStream in = repo.openBlob(m.config())) {
      return JSON.readTree(in);
    }
  }

  static String describe(List<ArchImage> images) {
    return images.stream()
        .map(a -> a.architecture() + " " + a.manifest().digest() + " " + a.compressedSize())
        .collect(Collectors.joining(", "));
  }
}

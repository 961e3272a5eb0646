package dev.lamina.plan;

import static dev.lamina.testing.TestLayers.Entry.dir;
import static dev.lamina.testing.TestLayers.Entry.file;
import static dev.lamina.testing.TestLayers.Entry.symlink;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.testing.RawTar;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lamina build} as a user runs it: the jar as a process, layers in a real registry, and the
 * artifacts checked in the registry and on disk. Every bad input must fail with a one-line reason
 * and push nothing.
 */
class BuildCommandIT {
  private static TestRegistry registry;
  private static OciClient client;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;

  @BeforeAll
  static void startRegistry() throws IOException {
    registry = TestRegistry.start();
    client = OciClient.create();
    OciRepository kernel = client.repository(registry.host() + "/layers/kernel");
    Map<String, List<byte[]>> kernelBlobs = new TreeMap<>();
    Map<String, List<byte[]>> baseBlobs = new TreeMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      byte[] modules =
          TestLayers.tar(
              List.of(
                  dir("lib"),
                  dir("lib/modules"),
                  file("lib/modules/6.1.0-" + arch + "/modules.dep", "")));
      kernelBlobs.put(
          arch,
          List.of(
              TestLayers.tarGz(
                  file("kernel", "KERNEL-" + arch),
                  TestLayers.Entry.file("kernel.tar", modules, 0644))));
      baseBlobs.put(
          arch,
          List.of(
              TestLayers.tarGz(
                  dir("bin"),
                  file("bin/busybox", "BUSYBOX-" + arch),
                  symlink("bin/sh", "busybox"),
                  file("etc/motd", "lower")),
              TestLayers.tarGz(file("etc/motd", "upper"), file("etc/.wh.gone", ""))));
    }
    TestLayers.pushImage(kernel, "6.1", kernelBlobs);
    TestLayers.pushImage(client.repository(registry.host() + "/layers/base"), "1", baseBlobs);
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/amd64-only"),
        "1",
        Map.of("amd64", List.of(TestLayers.tarGz(file("x", "x")))));
  }

  @AfterAll
  static void stopRegistry() throws IOException {
    registry.close();
  }

  @Test
  void buildsEveryArchitecturePushesManifestsAndIndex() throws Exception {
    Path yaml =
        writeYaml("good", "base", "kernel:6.1", "kernel", List.of("amd64", "arm64"), "tag: v1");
    Path out = tmp.resolve("out");
    Run run = lamina("build", "-f", yaml.toString(), "--out", out.toString(), "--push");
    assertThat(run.exit).as(run.stderr).isZero();

    OciRepository repo = client.repository(registry.host() + "/images/good");
    Descriptor tagged = repo.resolveTag("v1").orElseThrow();
    ImageIndex index = ImageIndex.parse(repo.manifestBytes(tagged.digest()));
    assertThat(index.manifests())
        .extracting(Descriptor::platform)
        .containsExactly(Platform.linux("amd64"), Platform.linux("arm64"));
    assertThat(run.stdout).contains("index " + registry.host() + "/images/good@" + tagged.digest());
    String input =
        run.stdout
            .lines()
            .filter(l -> l.startsWith("input "))
            .findFirst()
            .orElseThrow()
            .substring(6);
    assertThat(repo.resolveTag(InputDigest.cacheTag(input)))
        .map(Descriptor::digest)
        .contains(tagged.digest());

    for (Descriptor m : index.manifests()) {
      String arch = m.platform().architecture();
      ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(m.digest()));
      assertThat(manifest.artifactType()).isEqualTo(ArtifactTypes.OS_IMAGE);
      assertThat(manifest.layers())
          .extracting(d -> d.annotations().get(MediaTypes.ANNOTATION_TITLE))
          .containsExactly("kernel", "initrd.img", "cmdline");
      byte[] kernel = read(repo, manifest.layers().get(0));
      assertThat(new String(kernel, StandardCharsets.UTF_8)).isEqualTo("KERNEL-" + arch);
      assertThat(read(repo, manifest.layers().get(1)))
          .isEqualTo(Files.readAllBytes(out.resolve(arch).resolve("initrd.img")));
      assertThat(new String(read(repo, manifest.layers().get(2)), StandardCharsets.UTF_8))
          .isEqualTo("console=ttyS0 quiet");

      Map<String, byte[]> initrd = cpio(out.resolve(arch).resolve("initrd.img"));
      assertThat(initrd)
          .containsKeys(
              "bin/busybox",
              "bin/sh",
              "lib/modules/6.1.0-" + arch + "/modules.dep",
              "etc/lamina-release");
      assertThat(new String(initrd.get("etc/motd"), StandardCharsets.UTF_8)).isEqualTo("upper");
      assertThat(new String(initrd.get("bin/busybox"), StandardCharsets.UTF_8))
          .isEqualTo("BUSYBOX-" + arch);
      assertThat(initrd).doesNotContainKeys("kernel", "kernel.tar", "etc/.wh.gone");
      assertThat(
              BuildResult.fromJson(Files.readString(out.resolve(arch).resolve("result.json")))
                  .manifestDigest())
          .isEqualTo(m.digest());
    }
  }

  @Test
  void sameInputsGiveTheSameDigestsInAnotherDirectory() throws Exception {
    Path yaml = writeYaml("same", "base", "kernel:6.1", "kernel", List.of("amd64", "arm64"), null);
    Run first = lamina("build", "-f", yaml.toString(), "--out", tmp.resolve("a").toString());
    Run second =
        lamina("build", "-f", yaml.toString(), "--out", tmp.resolve("elsewhere/b").toString());
    assertThat(first.exit).as(first.stderr).isZero();
    assertThat(second.stdout).isEqualTo(first.stdout);
    for (String arch : List.of("amd64", "arm64")) {
      assertThat(Files.readAllBytes(tmp.resolve("elsewhere/b").resolve(arch).resolve("initrd.img")))
          .isEqualTo(Files.readAllBytes(tmp.resolve("a").resolve(arch).resolve("initrd.img")));
    }
  }

  /**
   * Another JVM brings another zlib (Temurin bundles its own, Debian's OpenJDK uses the system's):
   * the compressed artifacts must still be byte-identical. Runs where a second JDK is installed.
   */
  @Test
  void anotherJvmWritesTheSameBytes() throws Exception {
    Path current = Path.of(System.getProperty("java.home")).toRealPath();
    Optional<Path> other;
    try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
      other =
          jdks.filter(d -> Files.isExecutable(d.resolve("bin/java")))
              .filter(d -> !realPath(d).equals(current))
              .sorted()
              .reduce((a, b) -> b);
    } catch (IOException e) {
      other = Optional.empty();
    }
    if (other.isEmpty()) {
      System.out.println("anotherJvmWritesTheSameBytes: skipped, no second JDK under /usr/lib/jvm");
      Assumptions.abort("no second JDK under /usr/lib/jvm");
    }
    Path yaml = writeYaml("jvm", "base", "kernel:6.1", "kernel", List.of("amd64", "arm64"), null);
    Run here = lamina("build", "-f", yaml.toString(), "--out", tmp.resolve("here").toString());
    Run there =
        laminaWith(
            other.get().resolve("bin/java"),
            "build",
            "-f",
            yaml.toString(),
            "--out",
            tmp.resolve("there").toString());
    assertThat(here.exit).as(here.stderr).isZero();
    assertThat(there.exit).as(there.stderr).isZero();
    assertThat(there.stdout).as("digests printed by " + other.get()).isEqualTo(here.stdout);
  }

  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p;
    }
  }

  @Test
  void corruptedBlobFailsWithDigestMismatchAndPushesNothing() throws Exception {
    OciRepository repo = client.repository(registry.host() + "/layers/corrupt");
    byte[] blob = TestLayers.tarGz(file("etc/hostname", "ok"));
    TestLayers.pushImage(repo, "1", Map.of("amd64", List.of(blob)));
    Path stored = registry.blobFile(dev.lamina.oci.Digests.sha256(blob));
    byte[] bad = Files.readAllBytes(stored);
    bad[bad.length / 2] ^= 0x5a;
    Files.write(stored, bad);
    assertFailsAndPushesNothing("corrupt", "corrupt:1", "DigestMismatch");
  }

  @Test
  void truncatedGzipFailsWithAReason() throws Exception {
    byte[] whole = TestLayers.tarGz(file("etc/big", "x".repeat(100_000) + Math.random()));
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/truncated"),
        "1",
        Map.of("amd64", List.of(truncated)));
    Run run = assertFailsAndPushesNothing("truncated", "truncated:1", "InvalidLayer");
    assertThat(run.stderr).containsIgnoringCase("truncated");
  }

  @Test
  void entryWithDotDotFails() throws Exception {
    byte[] evil = TestLayers.tarGz(file("../escape", "boom"));
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/dotdot"), "1", Map.of("amd64", List.of(evil)));
    Run run = assertFailsAndPushesNothing("dotdot", "dotdot:1", "InvalidLayer");
    assertThat(run.stderr).contains("../escape");
  }

  @Test
  void entryWrittenThroughSymlinkOutsideTheRootFails() throws Exception {
    byte[] lower = TestLayers.tarGz(symlink("up", "../../.."));
    byte[] upper = TestLayers.tarGz(file("up/etc/passwd", "boom"));
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/symlink"),
        "1",
        Map.of("amd64", List.of(lower, upper)));
    Run run = assertFailsAndPushesNothing("symlink", "symlink:1", "InvalidLayer");
    assertThat(run.stderr).contains("up/etc/passwd");
  }

  @Test
  void missingKernelBinaryFails() throws Exception {
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/nokernel"),
        "1",
        Map.of("amd64", List.of(TestLayers.tarGz(file("boot/vmlinuz", "k")))));
    Path yaml = writeYaml("nokernel", "base", "nokernel:1", "kernel", List.of("amd64"), null);
    Run run = lamina("build", "-f", yaml.toString(), "--push");
    assertThat(run.exit).isEqualTo(1);
    assertThat(run.stderr.strip())
        .isEqualTo(
            "lamina build: KernelMissing: kernel binary \"kernel\" not found in layer \"kernel\"");
    assertNothingPushed("nokernel");
  }

  @Test
  void layerWithoutTheArchitectureFails() throws Exception {
    Path yaml =
        writeYaml("noarm", "amd64-only", "kernel:6.1", "kernel", List.of("amd64", "arm64"), null);
    Run run = lamina("build", "-f", yaml.toString(), "--push");
    assertThat(run.exit).isEqualTo(1);
    assertThat(run.stderr.strip())
        .startsWith("lamina build: PlatformMissing:")
        .contains("linux/arm64")
        .contains("amd64-only");
    assertNothingPushed("noarm");
  }

  @Test
  void oneArchitectureFailingPushesNothingOfEither() throws Exception {
    // amd64 assembles (it comes first); arm64's kernel layer lacks the binary.
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/halfkernel"),
        "1",
        Map.of(
            "amd64", List.of(TestLayers.tarGz(file("kernel", "KERNEL-amd64"))),
            "arm64", List.of(TestLayers.tarGz(file("boot/vmlinuz", "k")))));
    Path yaml =
        writeYaml("half", "base", "halfkernel:1", "kernel", List.of("amd64", "arm64"), "tag: v1");
    Path out = tmp.resolve("half-out");
    Run run = lamina("build", "-f", yaml.toString(), "--push", "--out", out.toString());
    assertThat(run.exit).isEqualTo(1);
    assertThat(run.stderr.strip())
        .isEqualTo(
            "lamina build: KernelMissing: kernel binary \"kernel\" not found in layer \"kernel\"");
    assertNothingPushed("half");
    try (Stream<Path> dirs = Files.list(out)) {
      assertThat(dirs.map(p -> p.getFileName().toString()).sorted())
          .containsExactly("amd64", "arm64");
    }
  }

  @Test
  void registryRefusingCredentialsFails() throws Exception {
    try (TestRegistry locked = TestRegistry.builder().basicAuth("alice", "secret").start()) {
      Path config = tmp.resolve("docker");
      Files.createDirectories(config);
      String auth =
          java.util.Base64.getEncoder()
              .encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8));
      Files.writeString(
          config.resolve("config.json"),
          "{\"auths\":{\"" + locked.host() + "\":{\"auth\":\"" + auth + "\"}}}");
      Path yaml =
          writeYaml("auth", "base", "kernel:6.1", "kernel", List.of("amd64"), null)
              .resolveSibling("auth.yaml");
      Files.writeString(
          yaml,
          Files.readString(tmp.resolve("auth.yaml"))
              .replace(registry.host() + "/layers/base", locked.host() + "/layers/base"));
      Run run =
          lamina("build", "-f", yaml.toString(), "--push", "--docker-config", config.toString());
      assertThat(run.exit).isEqualTo(1);
      assertThat(run.stderr.strip())
          .startsWith("lamina build: RegistryAuth:")
          .contains(locked.host());
      assertNothingPushed("auth");
    }
  }

  @Test
  void decompressionBombStopsAtTheLimitWithLayerTooLarge() throws Exception {
    // 1 GiB of zeros, about 1 MiB of gzip; the OSImage allows 64 MiB.
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream z = RawTar.gzipTo(gz)) {
      RawTar t = RawTar.to(z);
      t.zeros("var/bomb", 1L << 30);
      t.end();
    }
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/bomb"),
        "1",
        Map.of("amd64", List.of(gz.toByteArray())));
    Path yaml = writeYaml("bomb", "bomb", "kernel:6.1", "kernel", List.of("amd64"), null);
    Files.writeString(
        yaml,
        Files.readString(yaml)
            .replace("  output:", "  build: {limits: {maxUncompressedBytes: 64Mi}}\n  output:"));
    Path out = tmp.resolve("bomb-out");
    Path result = tmp.resolve("bomb-result.json");

    Path scratch = Files.createDirectories(tmp.resolve("bomb-tmp"));

    long start = System.nanoTime();
    Run run =
        laminaWith(
            List.of("-Djava.io.tmpdir=" + scratch),
            "build",
            "-f",
            yaml.toString(),
            "--out",
            out.toString(),
            "--push",
            "--arch",
            "amd64",
            "--result",
            result.toString());
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(run.exit).as(run.stderr).isEqualTo(1);
    assertThat(run.stderr.strip())
        .isEqualTo(
            "lamina build: LayerTooLarge: layer \"base\" unpacks to more than 64Mi of file"
                + " contents, the build's limit (spec.build.limits.maxUncompressedBytes)");
    BuildResult r = BuildResult.fromJson(Files.readString(result));
    assertThat(r.error().reason()).isEqualTo("LayerTooLarge");
    assertThat(r.architecture()).isEqualTo("amd64");
    assertNothingPushed("bomb");
    assertThat(du(out)).isLessThan(1 << 20);
    assertThat(scratch).as("the spool is gone").isEmptyDirectory();
    assertThat(millis).as("stopped early, not after unpacking 1 GiB").isLessThan(60_000);
  }

  @Test
  void nulInAPaxPathFailsWithInvalidEntry() throws Exception {
    byte[] evil = RawTar.inMemory().pax('x', "path", "etc/passwd\0x").file("x", "evil").gzip();
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/nul"), "1", Map.of("amd64", List.of(evil)));
    Run run = assertFailsAndPushesNothing("nul", "nul:1", "InvalidEntry");
    assertThat(run.stderr).contains("layer \"base\": PAX path \"etc/passwd\\0x\" holds a NUL byte");
  }

  @Test
  void pathLongerThanPathMaxFailsWithInvalidEntry() throws Exception {
    byte[] evil = RawTar.inMemory().pax('x', "path", "d/".repeat(2100) + "f").file("x", "x").gzip();
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/longpath"),
        "1",
        Map.of("amd64", List.of(evil)));
    Run run = assertFailsAndPushesNothing("longpath", "longpath:1", "InvalidEntry");
    assertThat(run.stderr).contains("has a name of 4201 bytes; the kernel unpacks at most 4095");
  }

  @Test
  void outOfMemoryIsReportedInTheResultNotAsAStackTrace() throws Exception {
    // 200,000 entries with 90-byte names: within the default limits, far beyond a 24 MiB heap.
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream z = RawTar.gzipTo(gz)) {
      RawTar t = RawTar.to(z);
      for (int i = 0; i < 200_000; i++) {
        t.file(String.format("usr/share/many/%080d", i), "");
      }
      t.end();
    }
    TestLayers.pushImage(
        client.repository(registry.host() + "/layers/many"),
        "1",
        Map.of("amd64", List.of(gz.toByteArray())));
    Path yaml = writeYaml("oom", "many", "kernel:6.1", "kernel", List.of("amd64"), null);
    Path result = tmp.resolve("oom-result.json");

    Run run =
        laminaWith(
            List.of("-Xmx24m"),
            "build",
            "-f",
            yaml.toString(),
            "--push",
            "--arch",
            "amd64",
            "--result",
            result.toString());

    assertThat(run.exit).as(run.stderr).isEqualTo(1);
    // Exactly one line of Lamina's own; no stack trace. Under a 24 MiB heap the JVM itself may
    // add a line when a helper thread's handler is out of memory too, which Lamina can't prevent.
    List<String> own = run.stderr.lines().filter(l -> l.startsWith("lamina build:")).toList();
    assertThat(own).as(run.stderr).hasSize(1);
    assertThat(own.get(0)).startsWith("lamina build: OutOfMemory: the build ran out of memory");
    assertThat(run.stderr.lines().filter(l -> l.startsWith("\tat ") || l.contains("Exception in")))
        .as(run.stderr)
        .isEmpty();
    BuildResult r = BuildResult.fromJson(Files.readString(result));
    assertThat(r.error().reason()).isEqualTo("OutOfMemory");
    assertNothingPushed("oom");
  }

  private static long du(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  private Run assertFailsAndPushesNothing(String name, String baseRef, String reason)
      throws Exception {
    Path yaml =
        writeYaml(
            name,
            baseRef.substring(0, baseRef.indexOf(':')),
            "kernel:6.1",
            "kernel",
            List.of("amd64"),
            null);
    Files.writeString(
        yaml,
        Files.readString(yaml)
            .replace(
                "/layers/" + baseRef.substring(0, baseRef.indexOf(':')) + ":1",
                "/layers/" + baseRef));
    Run run = lamina("build", "-f", yaml.toString(), "--push");
    assertThat(run.exit).as(run.stdout).isEqualTo(1);
    assertThat(run.stderr.strip().lines()).as(run.stderr).hasSize(1);
    assertThat(run.stderr).startsWith("lamina build: " + reason + ":");
    assertNothingPushed(name);
    return run;
  }

  /** The output repository has no manifest and no blob: the registry does not know it. */
  private void assertNothingPushed(String name) throws Exception {
    HttpResponse<String> tags =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://" + registry.host() + "/v2/images/" + name + "/tags/list"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(tags.statusCode()).as(tags.body()).isEqualTo(404);
    assertThat(registry.storage().resolve("docker/registry/v2/repositories/images/" + name))
        .doesNotExist();
  }

  private Path writeYaml(
      String name,
      String base,
      String kernelRef,
      String kernelBinary,
      List<String> archs,
      String outputExtra)
      throws IOException {
    String host = registry.host();
    String yaml =
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: kernel}
        spec: {image: %s/layers/%s}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: base}
        spec: {image: %s/layers/%s}
        ---
        apiVersion: lamina.dev/v1alpha1
        kind: OSImage
        metadata: {name: %s}
        spec:
          architectures: [%s]
          kernel: {layer: kernel, binary: %s, cmdline: "console=ttyS0 quiet"}
          init: [base]
          files:
            - {path: etc/lamina-release, contents: "lamina test\\n"}
          output:
            repository: %s/images/%s
            %s
        """
            .formatted(
                host,
                kernelRef,
                host,
                base.contains(":") ? base : base + ":1",
                name,
                String.join(", ", archs),
                kernelBinary,
                host,
                name,
                outputExtra == null ? "" : outputExtra);
    Path file = tmp.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static byte[] read(OciRepository repo, Descriptor d) throws IOException {
    try (InputStream in = repo.openBlob(d)) {
      return in.readAllBytes();
    }
  }

  private static Map<String, byte[]> cpio(Path initrd) throws IOException {
    Map<String, byte[]> entries = new TreeMap<>();
    try (CpioArchiveInputStream in =
        new CpioArchiveInputStream(new GZIPInputStream(Files.newInputStream(initrd)))) {
      CpioArchiveEntry e;
      while ((e = in.getNextCPIOEntry()) != null) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    return entries;
  }

  record Run(int exit, String stdout, String stderr) {}

  static Run lamina(String... args) throws Exception {
    return laminaWith(Path.of(System.getProperty("java.home"), "bin", "java"), args);
  }

  static Run laminaWith(Path java, String... args) throws Exception {
    return laminaWith(java, List.of(), args);
  }

  static Run laminaWith(List<String> jvmOptions, String... args) throws Exception {
    return laminaWith(Path.of(System.getProperty("java.home"), "bin", "java"), jvmOptions, args);
  }

  static Run laminaWith(Path java, List<String> jvmOptions, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", System.getProperty("lamina.jar")));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain =
        new Thread(
            () -> {
              try {
                p.getErrorStream().transferTo(err);
              } catch (IOException ignored) {
              }
            });
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    drain.join();
    String stderr =
        err.toString(StandardCharsets.UTF_8)
            .lines()
            .filter(l -> !l.startsWith("lamina: "))
            .reduce("", (a, b) -> a + b + "\n");
    return new Run(p.exitValue(), out, stderr);
  }
}

package dev.lamina.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.files.Trees;
import dev.lamina.linuxkit.LinuxKitImport;
import dev.lamina.linuxkit.RegistryMap;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.OciClient;
import dev.lamina.plan.ArtifactTypes;
import dev.lamina.plan.BuildException;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildResult;
import dev.lamina.plan.Builder;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.plan.InputDigest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Builds an OSImage: from YAML files as a user would apply them (resolving each Layer first), or
 * from a resolved plan as the build pod does. Both paths run the same {@link Builder}.
 */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = "Assemble an OSImage into kernel, initrd and rootfs, and optionally push it.")
public final class BuildCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = {"-f", "--file"},
      description =
          "YAML file(s) holding the Layers and the OSImage, or a linuxkit.yml (imported in memory"
              + " as lamina import would).")
  List<Path> files = new ArrayList<>();

  @Option(
      names = "--plan",
      description = "A resolved build plan (JSON), as the operator writes it.")
  Path planFile;

  @Option(names = "--name", description = "Which OSImage to build when the files hold several.")
  String name;

  @Option(
      names = "--arch",
      split = ",",
      description = "Architectures to build (default: all the OSImage asks for).")
  List<Architecture> archs = new ArrayList<>();

  @Option(
      names = "--out",
      description = "Write DIR/<arch>/{kernel,initrd.img,rootfs.tar,cmdline,result.json}.")
  Path out;

  @Option(names = "--push", description = "Push the artifacts to spec.output.")
  boolean push;

  @Option(
      names = "--result",
      description = "Write the build result JSON of the (single) architecture here.")
  Path resultFile;

  @Option(
      names = "--insecure-registry",
      description = "Registry host[:port] reached over plain HTTP.")
  List<String> insecure = new ArrayList<>();

  @Option(
      names = "--pull-secrets",
      description =
          "Directory with a subdirectory per pull Secret, named as the Secret, holding its"
              + " config.json. A layer whose plan entry names a pullSecret is pulled with that"
              + " Secret's credentials only, any other layer anonymously; --docker-config is then"
              + " used only to push. The operator's build pods set this.")
  Path pullSecrets;

  @Option(
      names = "--docker-config",
      description = "Directory or file of registry credentials (default $DOCKER_CONFIG).")
  Path dockerConfig;

  @Option(
      names = "--registry-map",
      paramLabel = "FROM=TO",
      description =
          "For a linuxkit.yml among the files: pull images under FROM from TO instead (as lamina"
              + " import --registry-map); repeatable.")
  List<String> registryMap = new ArrayList<>();

  @Option(
      names = "--allow-loss",
      description =
          "For a linuxkit.yml among the files: build even when some of its keys cannot be"
              + " expressed (they are listed).")
  boolean allowLoss;

  @Mixin RegistryTimeoutOptions timeoutOptions = new RegistryTimeoutOptions();

  /** A failure that comes with its own result (the overlaps that policy denies). */
  private static final class Refused extends Exception {
    final BuildResult result;

    Refused(BuildResult result) {
      super(result.error().message());
      this.result = result;
    }
  }

  @Override
  public Integer call() {
    PrintStream err = System.err;
    // When the heap runs out, helper threads (the HTTP client's selector, the registry watchdog)
    // fail too; the build's own thread reports it with a reason, so theirs would only add a stack
    // trace to the one-line failure.
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          if (!(e instanceof VirtualMachineError)) {
            err.println("lamina build: thread " + thread.getName() + " failed: " + e);
          }
        });
    BuildPlan plan = null;
    List<String> selected = List.of();
    String currentArch = null;
    BuildResult failedResult = null;
    String reason;
    String message;
    Path scratch = null;
    Path staging = null;
    try {
      if (files.isEmpty() == (planFile == null)) {
        throw new BuildException("InvalidInput", "give either -f FILE.yaml or --plan PLAN.json");
      }
      if (out == null && !push) {
        throw new BuildException("InvalidInput", "nothing to do: give --out DIR, --push, or both");
      }
      OciClient client = client();
      plan =
          planFile != null
              ? BuildPlans.read(planFile)
              : BuildPlans.fromFiles(files, name, client, err, linuxKitOptions());
      selected = selectArchs(plan);
      if (resultFile != null && selected.size() != 1) {
        throw new BuildException("InvalidInput", "--result needs exactly one architecture");
      }
      scratch = Files.createTempDirectory("lamina-build-");
      if (out != null) {
        Files.createDirectories(out);
        // Artifacts are written into a fresh directory of our own and renamed into place, so
        // nothing planted in --out (a symlink at amd64/initrd.img, say) is ever written through.
        staging = Files.createTempDirectory(out, STAGING_PREFIX);
      }
      Path archRoot = staging != null ? staging : scratch;
      Builder builder =
          new Builder(
              client, pullClients(plan, client), scratch, line -> err.println("lamina: " + line));
      // Every architecture is assembled before anything is pushed, so one that fails leaves
      // nothing of the others in the registry.
      Map<String, Builder.Assembled> assembled = new TreeMap<>();
      for (String arch : selected) {
        currentArch = arch;
        assembled.put(arch, builder.assemble(plan, arch, archRoot.resolve(arch)));
      }
      if (push) {
        for (Builder.Assembled a : assembled.values()) {
          currentArch = a.architecture();
          Optional<BuildResult> denied = Builder.deniedOverlaps(plan, a);
          if (denied.isPresent()) {
            throw new Refused(denied.get());
          }
        }
      }
      Map<String, BuildResult> results = new TreeMap<>();
      for (Builder.Assembled a : assembled.values()) {
        currentArch = a.architecture();
        results.put(a.architecture(), push ? builder.push(plan, a) : Builder.unpushed(plan, a));
      }
      currentArch = null;
      // The pod pushes only its own architecture; the operator publishes the index over all.
      Descriptor index = push && planFile == null ? publishIndex(plan, results, client) : null;
      if (out != null) {
        for (BuildResult r : results.values()) {
          Path dir = staging.resolve(r.architecture());
          Files.writeString(dir.resolve(ArtifactTypes.RESULT_FILE), r.toJson() + "\n");
          install(staging, dir, r.architecture());
        }
      }
      if (resultFile != null) {
        Files.writeString(
            resultFile, results.values().iterator().next().toJson(), StandardCharsets.UTF_8);
      }
      Trees.deleteQuietly(staging);
      report(plan, results, index);
      return 0;
    } catch (Refused e) {
      failedResult = e.result;
      reason = e.result.error().reason();
      message = e.result.error().message();
    } catch (BuildException e) {
      reason = e.reason();
      message = e.getMessage();
    } catch (IOException e) {
      BuildException b = Builder.classify(e);
      reason = b.reason();
      message = b.getMessage();
    } catch (RuntimeException e) {
      reason = "InternalError";
      message = String.valueOf(e);
    } catch (OutOfMemoryError e) {
      // The union and its buffers are unreachable once unwound to here, so reporting has room.
      reason = "OutOfMemory";
      message =
          "the build ran out of memory (heap of "
              + (Runtime.getRuntime().maxMemory() >> 20)
              + " MiB); lower spec.build.limits.maxEntries or give the builder more memory";
    } catch (StackOverflowError e) {
      reason = "StackOverflow";
      message = "the build overflowed its stack on deeply nested input; please report the layer";
    } finally {
      Trees.deleteQuietly(scratch);
    }
    try {
      return fail(err, plan, selected, currentArch, reason, message, failedResult, staging);
    } finally {
      Trees.deleteQuietly(staging);
    }
  }

  private static final String STAGING_PREFIX = ".lamina-build-";

  /**
   * Puts the staged directory {@code fresh} in place of {@code out/<arch>}, whatever was there: an
   * old directory is renamed aside first (a rename cannot replace a non-empty one) and deleted; a
   * file or symlink is removed itself, never what it points at.
   */
  private void install(Path staging, Path fresh, String arch) throws IOException {
    Path target = out.resolve(arch);
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      Path old = Files.createTempDirectory(staging, "old-" + arch + "-").resolve(arch);
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    } else if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(target);
    }
    Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
  }

  private Descriptor publishIndex(
      BuildPlan plan, Map<String, BuildResult> results, OciClient client) throws IOException {
    Map<String, IndexPublisher.Entry> manifests = new LinkedHashMap<>();
    results.forEach((arch, r) -> manifests.put(arch, IndexPublisher.Entry.of(r)));
    List<String> tags = new ArrayList<>(List.of(InputDigest.cacheTag(plan.inputDigest())));
    if (plan.output().tag() != null) {
      tags.add(plan.output().tag());
    }
    return IndexPublisher.publish(client.repository(plan.output().repository()), manifests, tags);
  }

  private void report(BuildPlan plan, Map<String, BuildResult> results, Descriptor index) {
    System.out.println("input " + plan.inputDigest());
    for (BuildResult r : results.values()) {
      for (BuildResult.ArtifactRef a : r.artifacts()) {
        System.out.printf("%s %-11s %s %d%n", r.architecture(), a.name(), a.digest(), a.size());
      }
      if (r.manifestDigest() != null) {
        System.out.println(r.architecture() + " manifest " + r.manifestDigest());
      }
    }
    if (index != null) {
      System.out.println("index " + plan.output().repository() + "@" + index.digest());
    }
  }

  /**
   * Reports a failure: one line on stderr, the result file, and in {@code --out} each selected
   * architecture's directory replaced by one holding only its failure result, so no artifact or
   * result of an earlier build is left beside this build's. Nothing of a failed build is kept: the
   * architectures that did assemble say which one failed.
   */
  private int fail(
      PrintStream err,
      BuildPlan plan,
      List<String> selected,
      String arch,
      String reason,
      String message,
      BuildResult failedResult,
      Path staging) {
    String oneLine = message == null ? reason : message.replace('\n', ' ');
    err.println("lamina build: " + reason + ": " + oneLine);
    String input = plan == null ? null : plan.inputDigest();
    if (resultFile != null) {
      String a = arch != null ? arch : (archs.size() == 1 ? archs.get(0).name() : null);
      BuildResult r =
          failedResult != null ? failedResult : BuildResult.failure(a, input, reason, oneLine);
      try {
        Files.writeString(resultFile, r.toJson(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("lamina build: cannot write " + resultFile + ": " + e.getMessage());
      }
    }
    if (staging != null) {
      for (String a : selected) {
        BuildResult r =
            a.equals(arch) && failedResult != null
                ? failedResult
                : arch == null || a.equals(arch)
                    ? BuildResult.failure(a, input, reason, oneLine)
                    : BuildResult.failure(
                        a,
                        input,
                        "ArchitectureFailed",
                        arch
                            + " failed, so nothing of this build was kept: "
                            + reason
                            + ": "
                            + oneLine);
        try {
          Path dir = Files.createDirectories(staging.resolve("failed").resolve(a));
          Files.writeString(dir.resolve(ArtifactTypes.RESULT_FILE), r.toJson() + "\n");
          install(staging, dir, a);
        } catch (IOException e) {
          err.println("lamina build: cannot write " + out.resolve(a) + ": " + e.getMessage());
        }
      }
    }
    return 1;
  }

  /** Without --pull-secrets, every layer is pulled with the client's own credentials. */
  private java.util.function.Function<BuildPlan.LayerRef, OciClient> pullClients(
      BuildPlan plan, OciClient client) throws IOException, BuildException {
    if (pullSecrets == null) {
      return ref -> client;
    }
    OciClient anonymous = client.withCredentials(DockerConfig.empty());
    Map<String, OciClient> bySecret = new TreeMap<>();
    for (BuildPlan.ArchPlan ap : plan.architectures().values()) {
      List<BuildPlan.LayerRef> refs = new ArrayList<>(ap.init());
      if (ap.kernel() != null) {
        refs.add(ap.kernel());
      }
      for (BuildPlan.LayerRef ref : refs) {
        String secret = ref.pullSecret();
        if (secret == null || bySecret.containsKey(secret)) {
          continue;
        }
        // A Secret name is a DNS subdomain; anything else must not walk out of the directory.
        if (!secret.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
          throw new BuildException(
              "InvalidInput", "layer " + ref.name() + ": pullSecret " + secret + " is not a name");
        }
        Path dir = pullSecrets.resolve(secret);
        if (!Files.isDirectory(dir)) {
          throw new BuildException(
              "PullSecretMissing",
              "layer " + ref.name() + ": pull Secret " + secret + " is not mounted at " + dir);
        }
        bySecret.put(secret, client.withCredentials(DockerConfig.read(dir)));
      }
    }
    return ref -> ref.pullSecret() == null ? anonymous : bySecret.get(ref.pullSecret());
  }

  /** How a linuxkit.yml among the files is imported: for the architectures asked for. */
  private LinuxKitImport.Options linuxKitOptions() throws BuildException {
    try {
      return new LinuxKitImport.Options(
          null,
          null,
          archs.isEmpty() ? List.of(Architecture.amd64, Architecture.arm64) : List.copyOf(archs),
          RegistryMap.parse(registryMap),
          null,
          allowLoss);
    } catch (IllegalArgumentException e) {
      throw new BuildException("InvalidInput", e.getMessage());
    }
  }

  private OciClient client() throws IOException, BuildException {
    OciClient.Builder b = OciClient.builder().insecureHosts(insecure);
    try {
      b.timeouts(timeoutOptions.timeouts());
    } catch (IllegalArgumentException e) {
      throw new BuildException("InvalidInput", "registry timeouts: " + e.getMessage());
    }
    if (dockerConfig != null) {
      b.dockerConfig(dockerConfig);
    }
    return b.build();
  }

  private List<String> selectArchs(BuildPlan plan) throws BuildException {
    if (archs.isEmpty()) {
      return new ArrayList<>(new TreeMap<>(plan.architectures()).keySet());
    }
    List<String> selected = new ArrayList<>();
    for (Architecture a : archs) {
      if (!plan.architectures().containsKey(a.name())) {
        throw new BuildException(
            "InvalidInput", "the OSImage does not ask for architecture " + a.name());
      }
      selected.add(a.name());
    }
    return selected;
  }
}

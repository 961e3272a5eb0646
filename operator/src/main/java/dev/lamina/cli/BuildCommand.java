package dev.lamina.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.PlatformDigest;
import dev.lamina.build.ArtifactTypes;
import dev.lamina.build.BuildException;
import dev.lamina.build.BuildPlan;
import dev.lamina.build.BuildResult;
import dev.lamina.build.Builder;
import dev.lamina.build.IndexPublisher;
import dev.lamina.build.InputDigest;
import dev.lamina.build.PlanFactory;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.Platform;
import dev.lamina.oci.ResolvedImage;
import dev.lamina.policy.Manifests;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Builds an OSImage: from YAML files as a user would apply them (resolving each Layer first), or
 * from a resolved plan as the build pod does. Both paths run the same {@link Builder}.
 */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = "Assemble an OSImage into kernel, initrd and rootfs, and optionally push it.")
public final class BuildCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = {"-f", "--file"},
      description = "YAML file(s) holding the Layers and the OSImage.")
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
      names = "--docker-config",
      description = "Directory or file of registry credentials (default $DOCKER_CONFIG).")
  Path dockerConfig;

  @Override
  public Integer call() {
    PrintStream err = System.err;
    BuildPlan plan = null;
    String currentArch = null;
    Path scratch = null;
    try {
      if (files.isEmpty() == (planFile == null)) {
        throw new BuildException("InvalidInput", "give either -f FILE.yaml or --plan PLAN.json");
      }
      if (out == null && !push) {
        throw new BuildException("InvalidInput", "nothing to do: give --out DIR, --push, or both");
      }
      OciClient client = client();
      plan = planFile != null ? readPlan(planFile) : planFromFiles(client, err);
      List<String> selected = selectArchs(plan);
      scratch = Files.createTempDirectory("lamina-build-");
      Builder builder = new Builder(client, scratch, line -> err.println("lamina: " + line));
      Map<String, BuildResult> results = new TreeMap<>();
      for (String arch : selected) {
        currentArch = arch;
        Path dir = out != null ? out.resolve(arch) : scratch.resolve("out-" + arch);
        Builder.Assembled assembled = builder.assemble(plan, arch, dir);
        results.put(arch, push ? builder.push(plan, assembled) : Builder.unpushed(plan, assembled));
        if (out != null) {
          Files.writeString(
              dir.resolve(ArtifactTypes.RESULT_FILE), results.get(arch).toJson() + "\n");
        }
      }
      currentArch = null;
      if (resultFile != null) {
        if (results.size() != 1) {
          throw new BuildException("InvalidInput", "--result needs exactly one architecture");
        }
        Files.writeString(
            resultFile, results.values().iterator().next().toJson(), StandardCharsets.UTF_8);
      }
      report(plan, results, client);
      return 0;
    } catch (BuildException e) {
      return fail(err, plan, currentArch, e.reason(), e.getMessage());
    } catch (IOException e) {
      BuildException b = Builder.classify(e);
      return fail(err, plan, currentArch, b.reason(), b.getMessage());
    } catch (RuntimeException e) {
      return fail(err, plan, currentArch, "InternalError", String.valueOf(e));
    } catch (OutOfMemoryError e) {
      // The union and its buffers are unreachable once unwound to here, so reporting has room.
      return fail(
          err,
          plan,
          currentArch,
          "OutOfMemory",
          "the build ran out of memory (heap of "
              + (Runtime.getRuntime().maxMemory() >> 20)
              + " MiB); lower spec.build.limits.maxEntries or give the builder more memory");
    } catch (StackOverflowError e) {
      return fail(
          err,
          plan,
          currentArch,
          "StackOverflow",
          "the build overflowed its stack on deeply nested input; please report the layer");
    } finally {
      TempDirs.deleteTree(scratch);
    }
  }

  private void report(BuildPlan plan, Map<String, BuildResult> results, OciClient client)
      throws IOException {
    System.out.println("input " + plan.inputDigest());
    for (BuildResult r : results.values()) {
      for (BuildResult.ArtifactRef a : r.artifacts()) {
        System.out.printf("%s %-11s %s %d%n", r.architecture(), a.name(), a.digest(), a.size());
      }
      if (r.manifestDigest() != null) {
        System.out.println(r.architecture() + " manifest " + r.manifestDigest());
      }
    }
    // The pod pushes only its own architecture; the operator publishes the index over all of them.
    if (push && planFile == null) {
      Map<String, String> manifests = new LinkedHashMap<>();
      results.forEach((arch, r) -> manifests.put(arch, r.manifestDigest()));
      List<String> tags = new ArrayList<>(List.of(InputDigest.cacheTag(plan.inputDigest())));
      if (plan.output().tag() != null) {
        tags.add(plan.output().tag());
      }
      Descriptor index =
          IndexPublisher.publish(client.repository(plan.output().repository()), manifests, tags);
      System.out.println("index " + plan.output().repository() + "@" + index.digest());
    }
  }

  private int fail(PrintStream err, BuildPlan plan, String arch, String reason, String message) {
    String oneLine = message == null ? reason : message.replace('\n', ' ');
    err.println("lamina build: " + reason + ": " + oneLine);
    if (resultFile != null) {
      String a = arch != null ? arch : (archs.size() == 1 ? archs.get(0).name() : null);
      try {
        Files.writeString(
            resultFile,
            BuildResult.failure(a, plan == null ? null : plan.inputDigest(), reason, oneLine)
                .toJson(),
            StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("lamina build: cannot write " + resultFile + ": " + e.getMessage());
      }
    }
    return 1;
  }

  private OciClient client() throws IOException {
    OciClient.Builder b = OciClient.builder().insecureHosts(insecure);
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

  private static BuildPlan readPlan(Path file) throws IOException {
    return JSON.readValue(file.toFile(), BuildPlan.class);
  }

  /** Resolves every Layer the OSImage uses, as the operator's Layer reconciler would. */
  private BuildPlan planFromFiles(OciClient client, PrintStream err)
      throws IOException, BuildException {
    Manifests res;
    try {
      res = Manifests.read(files);
    } catch (Manifests.InvalidInputException e) {
      throw new BuildException("InvalidInput", e.getMessage());
    }
    OSImage image = pickImage(res.osImages().stream().map(Manifests.Source::object).toList());
    if (image.getMetadata().getNamespace() == null) {
      image.getMetadata().setNamespace("default");
    }
    if (image.getSpec() == null || image.getSpec().getArchitectures() == null) {
      throw new BuildException(
          "InvalidInput",
          "OSImage " + image.getMetadata().getName() + " has no spec.architectures");
    }
    Map<String, Layer> byName = new LinkedHashMap<>();
    res.layers().forEach(l -> byName.put(l.object().getMetadata().getName(), l.object()));
    List<Platform> platforms =
        image.getSpec().getArchitectures().stream().map(a -> Platform.linux(a.name())).toList();
    Map<String, Layer> used = new LinkedHashMap<>();
    for (String layerName : PlanFactory.layerNames(image.getSpec())) {
      Layer layer = byName.get(layerName);
      if (layer == null) {
        throw new BuildException(
            "LayerMissing", "Layer " + layerName + " is not in the given files");
      }
      err.println("lamina: resolving " + layerName + " " + layer.getSpec().getImage());
      ResolvedImage resolved = client.resolve(layer.getSpec().getImage(), platforms);
      if (!resolved.missing().isEmpty()) {
        throw new BuildException(
            "PlatformMissing",
            "Layer "
                + layerName
                + " ("
                + layer.getSpec().getImage()
                + ") has no image for "
                + resolved.missing().stream().map(Platform::toString).sorted().toList());
      }
      LayerStatus status = new LayerStatus();
      status.setIndexDigest(resolved.indexDigest());
      List<PlatformDigest> pds = new ArrayList<>();
      resolved.manifests().entrySet().stream()
          .sorted(Comparator.comparing(e -> e.getKey().toString()))
          .forEach(
              e ->
                  pds.add(
                      new PlatformDigest(
                          e.getKey().toString(),
                          e.getValue().digest(),
                          e.getValue().size(),
                          resolved.layersSize().get(e.getKey()))));
      status.setPlatforms(pds);
      layer.setStatus(status);
      used.put(layerName, layer);
    }
    try {
      return PlanFactory.create(image, used);
    } catch (IllegalArgumentException e) {
      throw new BuildException("InvalidInput", e.getMessage());
    }
  }

  private OSImage pickImage(List<OSImage> images) throws BuildException {
    if (name != null) {
      return images.stream()
          .filter(i -> name.equals(i.getMetadata().getName()))
          .findFirst()
          .orElseThrow(
              () ->
                  new BuildException("InvalidInput", "no OSImage named " + name + " in the files"));
    }
    if (images.size() != 1) {
      throw new BuildException(
          "InvalidInput", "the files hold " + images.size() + " OSImages; pick one with --name");
    }
    return images.get(0);
  }
}

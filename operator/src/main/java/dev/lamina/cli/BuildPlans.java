package dev.lamina.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.PlatformDigest;
import dev.lamina.linuxkit.LinuxKitException;
import dev.lamina.linuxkit.LinuxKitImport;
import dev.lamina.linuxkit.LinuxKitProblem;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.Platform;
import dev.lamina.oci.ResolvedImage;
import dev.lamina.plan.BuildException;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.PlanFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Where {@code lamina build} gets its plan: a resolved plan file, or YAML files resolved here. */
final class BuildPlans {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BuildPlans() {}

  /** A resolved plan as the operator writes it, its files checked as the operator would. */
  static BuildPlan read(Path file) throws IOException, BuildException {
    BuildPlan plan = JSON.readValue(file.toFile(), BuildPlan.class);
    try {
      PlanFactory.validateFiles("files", plan.files());
    } catch (IllegalArgumentException e) {
      throw new BuildException("InvalidInput", file + ": " + e.getMessage());
    }
    return plan;
  }

  /**
   * The plan of the OSImage in {@code files} (the one called {@code name} when they hold several),
   * resolving every Layer it uses as the operator's Layer reconciler would.
   */
  static BuildPlan fromFiles(List<Path> files, String name, OciClient client, PrintStream err)
      throws IOException, BuildException {
    return fromFiles(files, name, client, err, null);
  }

  /**
   * As {@link #fromFiles(List, String, OciClient, PrintStream)}, where a file may also be a
   * linuxkit.yml, imported in memory as {@code lamina import} would with {@code linuxKit}.
   */
  static BuildPlan fromFiles(
      List<Path> files,
      String name,
      OciClient client,
      PrintStream err,
      LinuxKitImport.Options linuxKit)
      throws IOException, BuildException {
    List<Path> resourceFiles = new ArrayList<>();
    List<Path> linuxKitFiles = new ArrayList<>();
    for (Path f : files) {
      (linuxKit != null && LinuxKitFiles.isLinuxKit(f) ? linuxKitFiles : resourceFiles).add(f);
    }
    ResourceFiles res;
    try {
      res = ResourceFiles.read(resourceFiles);
    } catch (ResourceFiles.InvalidInputException e) {
      throw new BuildException("InvalidInput", e.getMessage());
    }
    List<OSImage> images =
        new ArrayList<>(res.osImages().stream().map(ResourceFiles.Source::object).toList());
    List<Layer> layers =
        new ArrayList<>(res.layers().stream().map(ResourceFiles.Source::object).toList());
    for (Path f : linuxKitFiles) {
      LinuxKitImport.Options options =
          new LinuxKitImport.Options(
              LinuxKitFiles.imageName(f),
              null,
              linuxKit.architectures(),
              linuxKit.registryMap(),
              linuxKit.outputRepository(),
              linuxKit.allowLoss());
      try {
        LinuxKitImport.Result r = LinuxKitImport.run(LinuxKitFiles.read(f), options, client);
        for (LinuxKitProblem loss : r.losses()) {
          err.println("lamina: " + f + ": left out: " + loss);
        }
        err.println(
            "lamina: " + f + ": imported as OSImage " + r.osImage().getMetadata().getName());
        layers.addAll(r.layers());
        images.add(r.osImage());
      } catch (LinuxKitException e) {
        throw new BuildException("InvalidInput", f + ": " + e.getMessage());
      } catch (LinuxKitImport.LossException e) {
        throw new BuildException(
            "CannotExpress",
            f
                + ": Lamina cannot express "
                + e.losses().stream()
                    .map(LinuxKitProblem::toString)
                    .collect(Collectors.joining("; "))
                + " (--allow-loss builds without them)");
      }
    }
    OSImage image = pick(images, name);
    if (image.getMetadata().getNamespace() == null) {
      image.getMetadata().setNamespace("default");
    }
    if (image.getSpec() == null || image.getSpec().getArchitectures() == null) {
      throw new BuildException(
          "InvalidInput",
          "OSImage " + image.getMetadata().getName() + " has no spec.architectures");
    }
    Map<String, Layer> byName = new LinkedHashMap<>();
    layers.forEach(l -> byName.put(l.getMetadata().getName(), l));
    List<Platform> platforms =
        image.getSpec().getArchitectures().stream().map(a -> Platform.linux(a.name())).toList();
    Map<String, Layer> used = new LinkedHashMap<>();
    for (String layerName : image.getSpec().layerNames()) {
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

  private static OSImage pick(List<OSImage> images, String name) throws BuildException {
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

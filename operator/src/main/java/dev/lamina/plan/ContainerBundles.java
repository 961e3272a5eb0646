package dev.lamina.plan;

import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileSpec;
import dev.lamina.assemble.AssemblyException;
import dev.lamina.assemble.Budget;
import dev.lamina.assemble.LayerSource;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.container.BundleLayout;
import dev.lamina.container.ImageFixups;
import dev.lamina.container.ImageUsers;
import dev.lamina.container.MobyLabel;
import dev.lamina.container.OciConfig;
import dev.lamina.container.RuntimeJson;
import dev.lamina.oci.ImageConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays out an image's system containers in its union as LinuxKit does (see {@link BundleLayout}):
 * each container's image is unioned on its own (whiteouts, opaque directories and hard links as for
 * init layers), changed as LinuxKit changes it ({@link ImageFixups}) and grafted under its
 * directory, beside its config.json and runtime.json. The images' unions stay open until {@link
 * #close}, after the image's union is written, since their files are read from their spools then.
 */
final class ContainerBundles implements AutoCloseable {
  /** Pulls one Layer of the plan: its blobs, and its image config. */
  interface Images {
    LayerSource source(BuildPlan.LayerRef ref) throws IOException;

    ImageConfig config(BuildPlan.LayerRef ref) throws IOException;
  }

  private final Images images;
  private final Path tempDir;
  private final long sourceDateEpoch;
  private final Budget budget;
  private final Map<String, LayerUnion> unions = new LinkedHashMap<>();

  ContainerBundles(Images images, Path tempDir, long sourceDateEpoch, Budget budget) {
    this.images = images;
    this.tempDir = tempDir;
    this.sourceDateEpoch = sourceDateEpoch;
    this.budget = budget;
  }

  /** Adds every container of {@code plan} to {@code union}. */
  void addTo(LayerUnion union, BuildPlan plan, BuildPlan.ArchPlan arch) throws IOException {
    BuildPlan.ContainersPlan containers = plan.containers();
    if (containers == null) {
      return;
    }
    Map<String, Long> ids = containers.ids();
    Map<String, String> unpacked = new LinkedHashMap<>();
    List<FileSpec> files = new ArrayList<>();
    Map<String, List<ContainerSpec>> sections = new LinkedHashMap<>();
    sections.put("onboot", containers.onboot());
    sections.put("onshutdown", containers.onshutdown());
    sections.put("services", containers.services());
    for (Map.Entry<String, List<ContainerSpec>> s : sections.entrySet()) {
      List<ContainerSpec> list = s.getValue() == null ? List.of() : s.getValue();
      for (int i = 0; i < list.size(); i++) {
        ContainerSpec c = list.get(i);
        String field = "spec." + s.getKey() + "[" + i + "]";
        BuildPlan.LayerRef ref = arch.layer(c.getLayer());
        LayerUnion image = image(ref);
        OciConfig.Result config;
        ContainerSpec label;
        try {
          ImageConfig imageConfig = images.config(ref);
          label = MobyLabel.read(imageConfig.labels(), "Layer \"" + ref.name() + "\"");
          config = OciConfig.of(field, c, label, imageConfig, ids, ImageUsers.of(image));
        } catch (IllegalArgumentException e) {
          throw new AssemblyException("InvalidContainer", field + ": " + e.getMessage());
        }
        String dir = BundleLayout.dir(s.getKey(), i, c.getName());
        String shared = unpacked.get(ref.name());
        BundleLayout layout =
            shared == null
                ? BundleLayout.first(dir, config.readonly())
                : BundleLayout.shared(dir, config.readonly(), shared);
        if (layout.unpackHere()) {
          union.graft(layout.imageDir(), image);
          unpacked.put(ref.name(), layout.imageDir());
        }
        if (!config.readonly()) {
          files.add(directory(dir + "/tmp"));
        }
        if (!config.readonly() || !layout.unpackHere()) {
          files.add(directory(dir + "/rootfs"));
        }
        files.add(file(dir + "/config.json", config.toJson()));
        files.add(
            file(
                dir + "/runtime.json",
                RuntimeJson.of(c.getRuntime(), label.getRuntime(), layout.rootfsMounts())));
      }
    }
    union.addFiles("containers", files, ids);
  }

  /** The bytes of a file inside {@code ref}'s union; null when it has none and {@code optional}. */
  byte[] fileOf(String field, BuildPlan.LayerRef ref, String path, boolean optional)
      throws IOException {
    LayerUnion image = rawImage(ref);
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (!image.isRegularFile(p)) {
      if (optional) {
        return null;
      }
      throw new AssemblyException(
          "SourceMissing",
          field + ": \"" + path + "\" is not a regular file in Layer \"" + ref.name() + "\"");
    }
    try (InputStream in = image.openFile(field, p)) {
      return in.readAllBytes();
    }
  }

  private static FileSpec directory(String path) {
    FileSpec d = new FileSpec(path, null, "0755");
    d.setDirectory(true);
    return d;
  }

  private static FileSpec file(String path, byte[] json) {
    return new FileSpec(path, new String(json, StandardCharsets.UTF_8), "0644");
  }

  /** The container image of {@code ref}, unioned and changed as LinuxKit changes it, once. */
  private LayerUnion image(BuildPlan.LayerRef ref) throws IOException {
    String key = "container:" + ref.name();
    LayerUnion u = unions.get(key);
    if (u == null) {
      u = new LayerUnion(List.of(images.source(ref)), tempDir, sourceDateEpoch, budget);
      unions.put(key, u);
      ImageFixups.apply(u);
    }
    return u;
  }

  /** The image of {@code ref} as it is, for file sources. */
  private LayerUnion rawImage(BuildPlan.LayerRef ref) throws IOException {
    String key = "raw:" + ref.name();
    LayerUnion u = unions.get(key);
    if (u == null) {
      u = new LayerUnion(List.of(images.source(ref)), tempDir, sourceDateEpoch, budget);
      unions.put(key, u);
    }
    return u;
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (LayerUnion u : unions.values()) {
      try {
        u.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    unions.clear();
    if (failure != null) {
      throw failure;
    }
  }
}

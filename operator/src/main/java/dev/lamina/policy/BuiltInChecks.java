package dev.lamina.policy;

import dev.lamina.api.Architecture;
import dev.lamina.api.Capabilities;
import dev.lamina.api.ContainerSpec;
import dev.lamina.api.FileSpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.Overlap;
import dev.lamina.api.PlatformDigest;
import dev.lamina.oci.OciReference;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What each built-in rule checks; the caller decides the action and who is told. */
final class BuiltInChecks {
  private BuiltInChecks() {}

  /** Receives what one rule found about one object. */
  interface Sink {
    void fail(String target, String message);

    void notEvaluated(String target, String reason);

    /** Failures known by count only (the build lists at most a few overlaps). */
    void failUnlisted(int count);
  }

  /** The parsed image, or null (and {@code target} not evaluated) when it is malformed. */
  static OciReference reference(String image, String target, Sink sink) {
    try {
      return OciReference.parse(image);
    } catch (IllegalArgumentException e) {
      sink.notEvaluated(target, e.getMessage());
      return null;
    }
  }

  static void osImage(
      BuiltInRule rule,
      OSImage image,
      Map<String, Layer> layers,
      List<Overlap> overlaps,
      int overlapCount,
      Parameters p,
      Sink sink) {
    OSImageSpec spec = image.getSpec() == null ? new OSImageSpec() : image.getSpec();
    switch (rule) {
      case PLATFORMS_AVAILABLE -> {
        for (String name : spec.layerNames()) {
          List<PlatformDigest> resolved = resolvedPlatforms(layers.get(name));
          if (resolved.isEmpty()) {
            sink.notEvaluated("Layer " + name, unresolvedReason(layers, name));
            continue;
          }
          for (Architecture arch : architectures(spec)) {
            if (platformOf(resolved, arch) == null) {
              sink.fail(
                  "Layer " + name,
                  "Layer "
                      + name
                      + " has no "
                      + arch.platform()
                      + " image, and the OSImage builds"
                      + " for "
                      + arch);
            }
          }
        }
      }
      case CMDLINE_FORBIDDEN -> {
        String cmdline = spec.getKernel() == null ? null : spec.getKernel().getCmdline();
        if (cmdline == null || cmdline.isBlank()) {
          return;
        }
        Set<String> found = new LinkedHashSet<>();
        for (String token : cmdline.trim().split("\\s+")) {
          for (String forbidden : p.forbiddenCmdline()) {
            if (cmdlineMatches(token.replace("\"", ""), forbidden)) {
              found.add(token);
            }
          }
        }
        for (String token : found) {
          sink.fail(
              "spec.kernel.cmdline",
              "kernel command line has forbidden parameter "
                  + token
                  + " (forbidden: "
                  + String.join(", ", p.forbiddenCmdline())
                  + ")");
        }
      }
      case FILE_WORLD_WRITABLE -> {
        for (FileSpec f : files(spec)) {
          Integer mode = mode(f, sink);
          // Symlink modes mean nothing; a sticky directory (like /tmp) is world-writable by design.
          if (mode == null || f.getSymlink() != null || (f.isDirectory() && (mode & 01000) != 0)) {
            continue;
          }
          if ((mode & 0002) != 0) {
            sink.fail(
                fileTarget(f),
                (f.isDirectory() ? "directory " : "file ")
                    + f.getPath()
                    + " has mode "
                    + octal(mode)
                    + ", writable by every user; drop the o+w bit");
          }
        }
      }
      case CONTAINER_SYS_ADMIN -> {
        for (Map.Entry<String, ContainerSpec> e : containers(spec).entrySet()) {
          ContainerSpec c = e.getValue();
          Map<String, List<String>> lists = new java.util.LinkedHashMap<>();
          lists.put("capabilities", c.getCapabilities());
          lists.put("capabilities.add", c.getCapabilitiesAdd());
          lists.put("ambient", c.getAmbient());
          for (Map.Entry<String, List<String>> l : lists.entrySet()) {
            List<String> caps = l.getValue() == null ? List.of() : l.getValue();
            if (Capabilities.isAll(caps) || caps.contains("CAP_SYS_ADMIN")) {
              sink.fail(
                  e.getKey() + "." + l.getKey(),
                  "container "
                      + c.getName()
                      + " is given "
                      + (Capabilities.isAll(caps) ? "all capabilities" : "CAP_SYS_ADMIN")
                      + " in "
                      + l.getKey()
                      + "; give it only the capabilities it needs");
            }
          }
        }
      }
      case CONTAINER_HOST_NAMESPACE -> {
        for (Map.Entry<String, ContainerSpec> e : containers(spec).entrySet()) {
          ContainerSpec c = e.getValue();
          Map<String, String> ns = new java.util.LinkedHashMap<>();
          ns.put("net", c.getNet());
          ns.put("pid", c.getPid());
          ns.put("ipc", c.getIpc());
          ns.put("uts", c.getUts());
          for (Map.Entry<String, String> n : ns.entrySet()) {
            if ("host".equals(n.getValue()) || "root".equals(n.getValue())) {
              sink.fail(
                  e.getKey() + "." + n.getKey(),
                  "container "
                      + c.getName()
                      + " runs in the host's "
                      + n.getKey()
                      + " namespace ("
                      + n.getKey()
                      + ": "
                      + n.getValue()
                      + ")");
            }
          }
        }
      }
      case FILE_SETUID -> {
        for (FileSpec f : files(spec)) {
          Integer mode = mode(f, sink);
          // On directories these bits grant nothing (setgid only picks the group of new files).
          if (mode == null || f.getSymlink() != null || f.isDirectory()) {
            continue;
          }
          if ((mode & 06000) != 0) {
            String which = (mode & 04000) != 0 ? "setuid" : "setgid";
            sink.fail(
                fileTarget(f),
                "file "
                    + f.getPath()
                    + " has mode "
                    + octal(mode)
                    + " ("
                    + which
                    + "); ship privileged binaries in a reviewed layer, not in spec.files");
          }
        }
      }
      case OUTPUT_REPOSITORY_ALLOWED -> {
        String repo = spec.getOutput() == null ? null : spec.getOutput().getRepository();
        if (repo == null || p.allowedOutputRepositories().isEmpty()) {
          return;
        }
        if (p.allowedOutputRepositories().stream().noneMatch(a -> underPrefix(repo, a))) {
          sink.fail(
              "spec.output.repository",
              "output repository "
                  + repo
                  + " is not under an allowed one: "
                  + String.join(", ", p.allowedOutputRepositories()));
        }
      }
      case LAYER_SIZE -> {
        for (Architecture arch : architectures(spec)) {
          long total = 0;
          String unknown = null;
          for (String name : spec.layerNames()) {
            PlatformDigest d = platformOf(resolvedPlatforms(layers.get(name)), arch);
            if (d == null || d.getLayersSize() == null) {
              unknown = name;
              break;
            }
            total += d.getLayersSize();
          }
          if (unknown != null) {
            sink.notEvaluated(
                "architecture " + arch,
                "the size of Layer " + unknown + " for " + arch + " is not known");
          } else if (total > p.maxLayerBytes()) {
            sink.fail(
                "architecture " + arch,
                "layers for "
                    + arch
                    + " are "
                    + bytes(total)
                    + " compressed, over maxLayerBytes "
                    + bytes(p.maxLayerBytes()));
          }
        }
      }
      case INIT_LAYER_OVERLAP -> {
        if (spec.getInit() == null || spec.getInit().size() < 2) {
          return;
        }
        if (overlaps == null) {
          sink.notEvaluated("spec.init", "overlapping paths are known only after a build");
          return;
        }
        // Each architecture's build reports the same overlaps; list each once.
        Set<Overlap> distinct = new LinkedHashSet<>(overlaps);
        for (Overlap o : distinct) {
          sink.fail(
              o.path(),
              o.path()
                  + " is written by init layers "
                  + o.lower()
                  + " and "
                  + o.upper()
                  + "; the copy from "
                  + o.upper()
                  + " wins");
        }
        sink.failUnlisted(Math.max(0, overlapCount - distinct.size()));
      }
      case EFI_STUB_PRESENT -> {
        if (spec.hasEfiFormat() && spec.stubLayer() == null) {
          String format =
              spec.effectiveFormats().stream()
                  .filter(f -> f.efi())
                  .findFirst()
                  .orElseThrow()
                  .value();
          sink.fail(
              "spec.uki.stub",
              "format " + format + " is built on an EFI stub, and spec.uki.stub.layer names none");
        }
      }
      case EFI_STUB_PINNED -> {
        String name = spec.stubLayer();
        if (name == null) {
          return;
        }
        Layer stub = layers.get(name);
        String ref = stub == null || stub.getSpec() == null ? null : stub.getSpec().getImage();
        if (ref == null) {
          sink.notEvaluated("spec.uki.stub", "Layer " + name + " does not exist");
          return;
        }
        OciReference r = reference(ref, "spec.uki.stub", sink);
        if (r != null && r.digest() == null) {
          sink.fail(
              "spec.uki.stub",
              "the EFI stub's Layer "
                  + name
                  + " has image "
                  + ref
                  + ", not pinned by digest; the stub runs first at boot, so pin it with"
                  + " @sha256:<digest>");
        }
      }
      case OUTPUT_SIGNED -> {
        if (spec.getOutput() != null && spec.getOutput().getSigning() == null) {
          sink.fail(
              "spec.output.signing",
              "the image is pushed to "
                  + spec.getOutput().getRepository()
                  + " unsigned; set spec.output.signing.keySecret");
        }
      }
      default -> throw new IllegalArgumentException(rule.id() + " does not apply to an OSImage");
    }
  }

  static List<PlatformDigest> resolvedPlatforms(Layer layer) {
    if (layer == null || layer.getStatus() == null || layer.getStatus().getPlatforms() == null) {
      return List.of();
    }
    return layer.getStatus().getPlatforms();
  }

  static String unresolvedReason(Map<String, Layer> layers, String name) {
    return layers.containsKey(name)
        ? "Layer " + name + " is not resolved yet"
        : "Layer " + name + " does not exist";
  }

  private static PlatformDigest platformOf(List<PlatformDigest> resolved, Architecture arch) {
    for (PlatformDigest d : resolved) {
      String platform = d.getPlatform();
      if (platform != null
          && (platform.equals(arch.platform()) || platform.startsWith(arch.platform() + "/"))) {
        return d;
      }
    }
    return null;
  }

  private static List<Architecture> architectures(OSImageSpec spec) {
    return spec.getArchitectures() == null ? List.of() : spec.getArchitectures();
  }

  /** Every container by its field, e.g. {@code spec.services[0]}, in spec order. */
  private static Map<String, ContainerSpec> containers(OSImageSpec spec) {
    Map<String, ContainerSpec> all = new java.util.LinkedHashMap<>();
    Map<String, List<ContainerSpec>> sections = new java.util.LinkedHashMap<>();
    sections.put("onboot", spec.getOnboot());
    sections.put("onshutdown", spec.getOnshutdown());
    sections.put("services", spec.getServices());
    sections.forEach(
        (name, list) -> {
          for (int i = 0; list != null && i < list.size(); i++) {
            if (list.get(i) != null) {
              all.put("spec." + name + "[" + i + "]", list.get(i));
            }
          }
        });
    return all;
  }

  private static List<FileSpec> files(OSImageSpec spec) {
    return spec.getFiles() == null ? List.of() : new ArrayList<>(spec.getFiles());
  }

  private static Integer mode(FileSpec f, Sink sink) {
    try {
      return f.effectiveMode();
    } catch (NumberFormatException e) {
      sink.notEvaluated(fileTarget(f), "mode " + f.getMode() + " is not an octal number");
      return null;
    }
  }

  private static String fileTarget(FileSpec f) {
    return "spec.files[" + f.getPath() + "]";
  }

  /**
   * A forbidden entry with a value matches that exact parameter; one without matches the bare
   * parameter and any value of it. The kernel and systemd treat '-' and '_' in names alike.
   */
  static boolean cmdlineMatches(String token, String forbidden) {
    String t = normalizeKey(token);
    String f = normalizeKey(forbidden.trim());
    if (f.contains("=")) {
      return t.equals(f);
    }
    return t.equals(f) || t.startsWith(f + "=");
  }

  private static String normalizeKey(String parameter) {
    int eq = parameter.indexOf('=');
    return eq < 0
        ? parameter.replace('_', '-')
        : parameter.substring(0, eq).replace('_', '-') + parameter.substring(eq);
  }

  /** {@code registry/os} allows itself and {@code registry/os/…}, not {@code registry/osx}. */
  static boolean underPrefix(String repository, String allowed) {
    String r = repository.toLowerCase(Locale.ROOT);
    String a = allowed.trim().toLowerCase(Locale.ROOT);
    if (a.endsWith("/")) {
      return r.startsWith(a);
    }
    return r.equals(a) || r.startsWith(a + "/");
  }

  private static String octal(int mode) {
    return String.format(Locale.ROOT, "%04o", mode);
  }

  static String bytes(long n) {
    return String.format(Locale.ROOT, "%d bytes (%.1f MiB)", n, n / 1048576.0);
  }
}

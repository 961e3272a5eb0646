package dev.lamina.policy.bench;

import dev.lamina.api.Architecture;
import dev.lamina.api.CustomRule;
import dev.lamina.api.FileSpec;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.KernelSpec;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.OutputSpec;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.PolicyStatus;
import dev.lamina.policy.PolicyEngine;
import dev.lamina.policy.Subject;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Evaluates 1,000 OSImages against one ImagePolicy of 20 CEL rules (plus the built-in rules), with
 * the compiled programs cached and with every expression compiled again per evaluation.
 *
 * <pre>
 * mvn -B -q -o package -DskipTests
 * java -cp operator/target/lamina.jar:operator/target/test-classes dev.lamina.policy.bench.PolicyBench
 * </pre>
 */
public final class PolicyBench {
  static final int OBJECTS = 1000;

  static final List<String> EXPRESSIONS =
      List.of(
          "has(object.spec.output)",
          "object.spec.architectures.size() <= 2",
          "object.spec.init.all(n, n in layers)",
          "object.spec.init.all(n, layers[n].platforms.size() >= 1)",
          "!has(object.spec.files) || object.spec.files.all(f, !f.path.startsWith('etc/shadow'))",
          "object.metadata.name.matches('^[a-z0-9-]+$')",
          "has(object.metadata.labels) && 'team' in object.metadata.labels",
          "object.spec.kernel.cmdline.split(' ').exists(p, p.startsWith('console='))",
          "!object.spec.kernel.cmdline.contains('debug')",
          "object.spec.init.size() <= 16",
          "layers.all(k, layers[k].platforms.all(p, p.layersSize < 1073741824))",
          "object.spec.files.all(f, !has(f.mode) || !f.mode.endsWith('7'))",
          "object.spec.output.repository.startsWith('registry.example.com/')",
          "!has(object.spec.output.tag) || object.spec.output.tag != 'latest'",
          "object.spec.architectures.exists(a, a == 'amd64')",
          "object.spec.files.map(f, f.path).all(p, !p.contains('..'))",
          "object.spec.init.filter(n, n.startsWith('debug')).size() == 0",
          "object.metadata.namespace != 'default'",
          "object.spec.files.size() < 200",
          "layers.size() >= object.spec.init.size()");

  public static void main(String[] args) {
    List<ImagePolicy> policies = List.of(policy());
    Map<String, Layer> layers = layers();
    List<OSImage> images = new ArrayList<>();
    for (int i = 0; i < OBJECTS; i++) {
      images.add(image(i));
    }
    if (!PolicyEngine.compile(policies).compileErrors().isEmpty()) {
      throw new IllegalStateException(PolicyEngine.compile(policies).compileErrors().toString());
    }
    PolicyEngine engine = PolicyEngine.compile(policies);

    // Warm the JIT on every path before measuring.
    run(images, i -> engine, layers, 3);
    run(images, i -> PolicyEngine.compileWithoutCache(policies), layers, 1);

    double cached = best(images, i -> engine, layers, 5);
    double perEngine = best(images, i -> PolicyEngine.compile(policies), layers, 5);
    double uncached = best(images, i -> PolicyEngine.compileWithoutCache(policies), layers, 3);

    System.out.printf(
        Locale.ROOT,
        "%d OSImages x %d CEL rules (+ %d built-in), best of rounds, per evaluation:%n",
        OBJECTS,
        EXPRESSIONS.size(),
        dev.lamina.policy.BuiltInRule.values().length);
    System.out.printf(Locale.ROOT, "  cached programs, one engine:          %9.1f us%n", cached);
    System.out.printf(Locale.ROOT, "  cached programs, new engine each:     %9.1f us%n", perEngine);
    System.out.printf(Locale.ROOT, "  compiled per evaluation (no cache):   %9.1f us%n", uncached);
    System.out.printf(
        Locale.ROOT, "  ratio uncached / cached:              %9.1f x%n", uncached / cached);
  }

  /** Microseconds per evaluation in the fastest of {@code rounds} passes over all objects. */
  static double best(
      List<OSImage> images,
      Function<Integer, PolicyEngine> engines,
      Map<String, Layer> layers,
      int rounds) {
    long best = Long.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      long start = System.nanoTime();
      run(images, engines, layers, 1);
      best = Math.min(best, System.nanoTime() - start);
    }
    return best / 1000.0 / images.size();
  }

  static int sink;

  static void run(
      List<OSImage> images,
      Function<Integer, PolicyEngine> engines,
      Map<String, Layer> layers,
      int rounds) {
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < images.size(); i++) {
        PolicyStatus s =
            engines
                .apply(i)
                .assess(Subject.osImage(images.get(i), layers, List.of(), 0), Map.of())
                .status();
        sink += s.getTotal();
      }
    }
  }

  static ImagePolicy policy() {
    List<CustomRule> rules = new ArrayList<>();
    for (int i = 0; i < EXPRESSIONS.size(); i++) {
      CustomRule r = new CustomRule();
      r.setName("rule-" + i);
      r.setKinds(List.of("OSImage"));
      r.setExpression(EXPRESSIONS.get(i));
      if (i % 2 == 0) {
        r.setMessageExpression("'rule " + i + " failed for ' + object.metadata.name");
      } else {
        r.setMessage("rule " + i + " failed");
      }
      rules.add(r);
    }
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setCustomRules(rules);
    ImagePolicy p = new ImagePolicy();
    p.setMetadata(new ObjectMetaBuilder().withName("bench").withGeneration(1L).build());
    p.setSpec(spec);
    return p;
  }

  static Map<String, Layer> layers() {
    Map<String, Layer> layers = new TreeMap<>();
    for (String name : List.of("kernel", "base", "net", "debug-tools")) {
      Layer l = new Layer();
      l.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("bench").build());
      l.setSpec(new LayerSpec("ghcr.io/lamina/" + name + "@sha256:" + "ab".repeat(32)));
      LayerStatus s = new LayerStatus();
      s.setPlatforms(
          List.of(
              new PlatformDigest("linux/amd64", "sha256:" + "cd".repeat(32), 900L, 50_000_000L),
              new PlatformDigest("linux/arm64", "sha256:" + "ef".repeat(32), 900L, 48_000_000L)));
      l.setStatus(s);
      layers.put(name, l);
    }
    return layers;
  }

  /** Objects that differ: some fail a few rules, file lists of different lengths. */
  static OSImage image(int i) {
    OSImageSpec spec = new OSImageSpec();
    spec.setArchitectures(
        i % 3 == 0 ? List.of(Architecture.amd64) : List.of(Architecture.amd64, Architecture.arm64));
    KernelSpec kernel = new KernelSpec();
    kernel.setLayer("kernel");
    kernel.setCmdline(i % 10 == 0 ? "console=ttyS0 debug" : "console=ttyS0 quiet ro");
    spec.setKernel(kernel);
    spec.setInit(i % 7 == 0 ? List.of("base", "net", "debug-tools") : List.of("base", "net"));
    List<FileSpec> files = new ArrayList<>();
    for (int f = 0; f < 1 + i % 8; f++) {
      files.add(new FileSpec("etc/bench/file-" + f, "value " + i, f == 5 ? "0777" : "0644"));
    }
    spec.setFiles(files);
    OutputSpec output = new OutputSpec();
    output.setRepository(
        i % 5 == 0 ? "quay.io/bench/os-" + i : "registry.example.com/os/bench-" + i);
    output.setTag(i % 4 == 0 ? "latest" : "v1");
    spec.setOutput(output);
    OSImage image = new OSImage();
    image.setMetadata(
        new ObjectMetaBuilder()
            .withName(String.format(Locale.ROOT, "image-%04d", i))
            .withNamespace("bench")
            .addToLabels("team", "os")
            .build());
    image.setSpec(spec);
    return image;
  }
}

package dev.lamina.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lamina.api.AppliedPolicy;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.policy.Evaluation;
import dev.lamina.policy.PolicyEngine;
import dev.lamina.policy.Subject;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks Layers and OSImages in YAML files against the built-in rules and ImagePolicies, offline.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Checks the Layers and OSImages in YAML files against Lamina's built-in policy rules and the"
          + " ImagePolicies among the files, without a cluster.",
      "Rules that need a Layer's resolved platforms, or a build, are listed as not evaluated.",
      "Exit code: 0 no Deny, 1 at least one Deny, 2 bad input."
    })
public final class CheckCommand implements Callable<Integer> {
  enum Output {
    table,
    json
  }

  @Spec CommandSpec spec;

  @Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "PATH",
      description = "YAML file (multi-document) or directory of them; repeatable.")
  List<Path> files;

  @Option(
      names = "--output",
      defaultValue = "table",
      paramLabel = "FORMAT",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  Output output;

  @Option(
      names = "--namespace-label",
      paramLabel = "KEY=VALUE",
      description = "A label of the objects' namespaces, for namespaceSelectors; repeatable.")
  Map<String, String> namespaceLabels = new LinkedHashMap<>();

  @Option(
      names = "--signatures",
      description =
          "Read each Layer's cosign signatures from its registry (tags are resolved first), so"
              + " LMN012 and LMN014 are evaluated; spec.trust keys from ConfigMaps are not read.")
  boolean signatures;

  @Option(
      names = "--insecure-registry",
      paramLabel = "HOST[:PORT]",
      description = "Registry reached over plain HTTP (with --signatures); repeatable.")
  List<String> insecure = new ArrayList<>();

  /** What was found about one object. */
  record Checked(String kind, String namespace, String name, String file, Evaluation evaluation) {
    String label() {
      return kind + " " + namespace + "/" + name;
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ResourceFiles manifests;
    try {
      manifests = ResourceFiles.read(files);
    } catch (ResourceFiles.InvalidInputException e) {
      err.println("lamina check: " + e.getMessage());
      return 2;
    }
    if (manifests.layers().isEmpty() && manifests.osImages().isEmpty()) {
      err.println(
          "lamina check: no Layer or OSImage found in "
              + files.stream().map(Path::toString).collect(Collectors.joining(", ")));
      return 2;
    }
    List<ImagePolicy> policies =
        manifests.policies().stream().map(ResourceFiles.Source::object).toList();
    PolicyEngine engine = PolicyEngine.compile(policies);
    if (!engine.compileErrors().isEmpty()) {
      Map<String, String> fileOf = new HashMap<>();
      manifests.policies().forEach(s -> fileOf.put(s.object().getMetadata().getName(), s.file()));
      engine
          .compileErrors()
          .forEach(
              (name, message) ->
                  err.println(
                      "lamina check: "
                          + fileOf.get(name)
                          + ": ImagePolicy "
                          + name
                          + ": "
                          + message));
      return 2;
    }

    List<Checked> checked = new ArrayList<>();
    Map<String, Map<String, Layer>> layersByNamespace = new HashMap<>();
    for (ResourceFiles.Source<Layer> s : manifests.layers()) {
      Layer l = s.object();
      String ns = ResourceFiles.namespaceOf(l);
      layersByNamespace.computeIfAbsent(ns, k -> new TreeMap<>()).put(l.getMetadata().getName(), l);
      if (signatures) {
        try {
          CheckSignatures.record(l, engine.trustPolicies(l, namespaceLabels(ns)), insecure);
        } catch (java.io.IOException | IllegalArgumentException e) {
          err.println(
              "lamina check: "
                  + s.file()
                  + ": Layer "
                  + l.getMetadata().getName()
                  + ": cannot read signatures: "
                  + e.getMessage());
          return 2;
        }
      }
      checked.add(checked(l, s.file(), engine.assess(Subject.layer(l), namespaceLabels(ns))));
    }
    for (ResourceFiles.Source<OSImage> s : manifests.osImages()) {
      OSImage o = s.object();
      String ns = ResourceFiles.namespaceOf(o);
      Map<String, Layer> layers = layersByNamespace.getOrDefault(ns, Map.of());
      // No build has run, so overlapping init layers are unknown (null), not absent.
      checked.add(
          checked(o, s.file(), engine.assess(Subject.osImage(o, layers), namespaceLabels(ns))));
    }

    if (output == Output.json) {
      out.println(json(checked));
    } else {
      out.print(table(checked));
    }
    out.flush();
    return checked.stream().anyMatch(c -> verdict(c) == PolicyVerdict.Deny) ? 1 : 0;
  }

  private Map<String, String> namespaceLabels(String namespace) {
    Map<String, String> labels = new TreeMap<>(namespaceLabels);
    // The apiserver puts this label on every namespace; selectors often use it.
    labels.putIfAbsent("kubernetes.io/metadata.name", namespace);
    return labels;
  }

  private static Checked checked(HasMetadata o, String file, Evaluation e) {
    return new Checked(
        o.getKind(), ResourceFiles.namespaceOf(o), o.getMetadata().getName(), file, e);
  }

  private static PolicyVerdict verdict(Checked c) {
    return c.evaluation().status().getVerdict();
  }

  static String table(List<Checked> checked) {
    StringBuilder sb = new StringBuilder();
    List<List<String>> verdicts = new ArrayList<>();
    verdicts.add(List.of("VERDICT", "OBJECT", "FILE"));
    for (Checked c : checked) {
      verdicts.add(List.of(verdict(c).name(), c.label(), c.file()));
    }
    sb.append(columns(verdicts));

    List<List<String>> results = new ArrayList<>();
    results.add(List.of("OBJECT", "RULE", "ACTION", "TARGET", "MESSAGE"));
    for (Checked c : checked) {
      for (PolicyResult r : c.evaluation().results()) {
        results.add(
            List.of(c.label(), r.getRule(), r.getAction().name(), r.getTarget(), r.getMessage()));
      }
    }
    if (results.size() > 1) {
      sb.append('\n').append(columns(results));
    }

    List<List<String>> skipped = new ArrayList<>();
    skipped.add(List.of("OBJECT", "RULE", "TARGET", "NOT EVALUATED OFFLINE BECAUSE"));
    for (Checked c : checked) {
      for (Evaluation.NotEvaluated n : c.evaluation().notEvaluated()) {
        skipped.add(List.of(c.label(), n.rule(), n.target(), n.reason()));
      }
    }
    if (skipped.size() > 1) {
      sb.append('\n').append(columns(skipped));
    }

    long deny = checked.stream().filter(c -> verdict(c) == PolicyVerdict.Deny).count();
    long warn = checked.stream().filter(c -> verdict(c) == PolicyVerdict.Warn).count();
    int denyResults = checked.stream().mapToInt(c -> c.evaluation().status().getDeny()).sum();
    int warnResults = checked.stream().mapToInt(c -> c.evaluation().status().getWarn()).sum();
    sb.append('\n')
        .append(checked.size())
        .append(checked.size() == 1 ? " object: " : " objects: ")
        .append(deny)
        .append(" Deny, ")
        .append(warn)
        .append(" Warn, ")
        .append(checked.size() - deny - warn)
        .append(" Pass; ")
        .append(denyResults)
        .append(" Deny and ")
        .append(warnResults)
        .append(" Warn results; ")
        .append(skipped.size() - 1)
        .append(" rules not evaluated offline\n");
    return sb.toString();
  }

  /** Left-aligned columns two spaces apart; the last column is not padded. */
  private static String columns(List<List<String>> rows) {
    int n = rows.get(0).size();
    int[] width = new int[n];
    for (List<String> row : rows) {
      for (int i = 0; i < n - 1; i++) {
        width[i] = Math.max(width[i], row.get(i).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> row : rows) {
      for (int i = 0; i < n; i++) {
        sb.append(
            i < n - 1
                ? String.format(java.util.Locale.ROOT, "%-" + width[i] + "s  ", row.get(i))
                : row.get(i));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  record JsonResult(String rule, PolicyAction action, String target, String message) {}

  record JsonObject(
      String kind,
      String namespace,
      String name,
      String file,
      PolicyVerdict verdict,
      int deny,
      int warn,
      int total,
      List<JsonResult> results,
      List<Evaluation.NotEvaluated> notEvaluated,
      List<String> policies) {}

  record JsonReport(PolicyVerdict verdict, List<JsonObject> objects) {}

  static String json(List<Checked> checked) {
    List<JsonObject> objects = new ArrayList<>();
    PolicyVerdict overall = PolicyVerdict.Pass;
    for (Checked c : checked) {
      var s = c.evaluation().status();
      if (s.getVerdict().compareTo(overall) > 0) {
        overall = s.getVerdict();
      }
      objects.add(
          new JsonObject(
              c.kind(),
              c.namespace(),
              c.name(),
              c.file(),
              s.getVerdict(),
              s.getDeny(),
              s.getWarn(),
              s.getTotal(),
              c.evaluation().results().stream()
                  .map(
                      r ->
                          new JsonResult(r.getRule(), r.getAction(), r.getTarget(), r.getMessage()))
                  .toList(),
              c.evaluation().notEvaluated(),
              s.getPolicies().stream().map(AppliedPolicy::getName).toList()));
    }
    try {
      return new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(new JsonReport(overall, objects));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

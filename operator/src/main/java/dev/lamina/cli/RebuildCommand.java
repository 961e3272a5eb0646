package dev.lamina.cli;

import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Asks the operator to build an OSImage again, a Failed one included. */
@Command(
    name = "rebuild",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Asks the operator to build an OSImage again, even after it Failed, by setting its "
          + Lamina.REBUILD_ANNOTATION
          + " annotation to a new value (the current time).",
      "Uses the current kubeconfig. Exit code: 0 requested, 1 no such OSImage or the API server"
          + " refused."
    })
public final class RebuildCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "Name of the OSImage.")
  String name;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NAMESPACE",
      description = "Namespace of the OSImage; default: the kubeconfig context's namespace.")
  String namespace;

  @Override
  public Integer call() {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      return rebuild(client, Clock.systemUTC());
    }
  }

  int rebuild(KubernetesClient client, Clock clock) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String ns = namespace != null ? namespace : client.getNamespace();
    if (ns == null) {
      ns = "default";
    }
    // An instant to the nanosecond: two requests never carry the same value, and it says when.
    String value = clock.instant().toString();
    try {
      var resource = client.resources(OSImage.class).inNamespace(ns).withName(name);
      if (resource.get() == null) {
        err.println("lamina rebuild: no OSImage " + name + " in namespace " + ns);
        return 1;
      }
      resource.edit(
          o -> {
            Map<String, String> annotations =
                o.getMetadata().getAnnotations() == null
                    ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(o.getMetadata().getAnnotations());
            annotations.put(Lamina.REBUILD_ANNOTATION, value);
            o.getMetadata().setAnnotations(annotations);
            return o;
          });
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      err.println("lamina rebuild: " + ns + "/" + name + ": " + e.getMessage());
      return 1;
    }
    out.println(
        "osimage "
            + ns
            + "/"
            + name
            + ": rebuild requested ("
            + Lamina.REBUILD_ANNOTATION
            + "="
            + value
            + ")");
    return 0;
  }
}

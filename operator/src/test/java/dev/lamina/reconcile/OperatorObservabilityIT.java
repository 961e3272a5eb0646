package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator as a process, as a Deployment runs it: its /metrics after real reconciles (a build,
 * a cache hit, a policy denial, a registry that refuses), and its log lines, each with a time and
 * the object it is about, an expected failure on one line, in text and in JSON.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorObservabilityIT {
  static final Duration WAIT = Duration.ofMinutes(3);
  private static final Pattern TEXT_LINE =
      Pattern.compile(
          "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (TRACE|DEBUG|INFO|WARN|ERROR) .*");

  @Test
  void metricsCountBuildsCacheHitsAndDenialsAndLogsSayWhichObject(ControlPlane cluster)
      throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("observe");
    String policy = ns + "-deny";
    try (TestRegistry registry = TestRegistry.start();
        OperatorProcess operator = OperatorProcess.start(cluster, List.of("-Xmx256m"), args(ns));
        LocalNodeAgent agent =
            new LocalNodeAgent(
                client,
                List.of("amd64", "arm64"),
                Path.of(System.getProperty("lamina.jar")),
                Files.createTempDirectory("lamina-node"))) {
      agent.start();
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      pushLayers(oci, host + "/" + ns, "observe");
      client.resource(layer(ns, "kernel", host + "/" + ns + "/kernel:v1")).create();
      client.resource(layer(ns, "base", host + "/" + ns + "/base:v1")).create();
      // Nothing listens on port 1: every resolve is a refused connection, an expected failure.
      client.resource(layer(ns, "gone", "127.0.0.1:1/" + ns + "/gone:v1")).create();
      cluster
          .client()
          .resource(
              client
                  .getKubernetesSerialization()
                  .unmarshal(
                      new ByteArrayInputStream(
                          denyLayersNamedDenied(policy, ns).getBytes(StandardCharsets.UTF_8)),
                      dev.lamina.api.ImagePolicy.class))
          .create();
      try {
        client.resource(layer(ns, "denied", host + "/" + ns + "/base:v1")).create();

        OSImage built =
            osImage(ns, "built", List.of(Architecture.amd64), host + "/" + ns + "/out", "quiet");
        client.resource(built).create();
        await().atMost(WAIT).until(() -> phase(client, ns, "built") == Phase.Ready);
        assertThat(
                client
                    .resources(OSImage.class)
                    .inNamespace(ns)
                    .withName("built")
                    .get()
                    .getStatus()
                    .getArchitectureList())
            .as("the ARCHITECTURES column's value")
            .isEqualTo("amd64");
        // The same inputs under another name: the index is in the registry already.
        OSImage again =
            osImage(ns, "again", List.of(Architecture.amd64), host + "/" + ns + "/out", "quiet");
        client.resource(again).create();
        await().atMost(WAIT).until(() -> phase(client, ns, "again") == Phase.Ready);

        int port = operator.metricsPort();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest scrape =
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> {
                  HttpResponse<String> r = http.send(scrape, HttpResponse.BodyHandlers.ofString());
                  assertThat(r.statusCode()).isEqualTo(200);
                  assertThat(r.headers().firstValue("Content-Type").orElse(""))
                      .startsWith("text/plain");
                  String m = r.body();
                  assertThat(value(m, "lamina_builds_started_total{architecture=\"amd64\"}"))
                      .as("lamina_builds_started_total{architecture=\"amd64\"}")
                      .isEqualTo(1);
                  assertThat(value(m, "lamina_builds_succeeded_total{architecture=\"amd64\"}"))
                      .as("lamina_builds_succeeded_total{architecture=\"amd64\"}")
                      .isEqualTo(1);
                  assertThat(
                          value(
                              m,
                              "lamina_build_duration_seconds_count{architecture=\"amd64\",outcome=\"Succeeded\"}"))
                      .as(
                          "lamina_build_duration_seconds_count{architecture=\"amd64\",outcome=\"Succeeded\"}")
                      .isEqualTo(1);
                  assertThat(value(m, "lamina_cache_hits_total"))
                      .as("lamina_cache_hits_total")
                      .isEqualTo(1);
                  assertThat(value(m, "lamina_policy_denials_total{kind=\"Layer\"}"))
                      .as("lamina_policy_denials_total{kind=\"Layer\"}")
                      .isEqualTo(1);
                  assertThat(value(m, "lamina_osimages{phase=\"Ready\"}"))
                      .as("lamina_osimages{phase=\"Ready\"}")
                      .isEqualTo(2);
                  assertThat(value(m, "lamina_build_queue_length"))
                      .as("lamina_build_queue_length")
                      .isEqualTo(0);
                  // JOSDK's own: reconciles started and how long they took, per controller.
                  assertThat(sum(m, "operator_sdk_reconciliations_started_total")).isPositive();
                  // The process's heap and GC, for checking the Deployment's memory limit.
                  assertThat(sum(m, "jvm_memory_used_bytes")).isPositive();
                  assertThat(
                          m.lines()
                              .filter(
                                  l ->
                                      l.startsWith(
                                          "operator_sdk_controllers_execution_reconcile_seconds_count"
                                              + "{controller=\"osimage\""))
                              .mapToDouble(
                                  l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                              .sum())
                      .isPositive();
                  assertThat(m).contains("operator_sdk_reconciliations_queue_size_osimage");
                });
      } finally {
        client.resources(dev.lamina.api.ImagePolicy.class).withName(policy).delete();
      }

      String log = operator.output();
      List<String> lines = log.lines().toList();
      assertThat(lines)
          .as("every line is a log line: time, level, ...; no stack trace\n" + log)
          .allSatisfy(l -> assertThat(l).matches(TEXT_LINE));
      List<String> gone = lines.stream().filter(l -> l.contains("Layer " + ns + "/gone ")).toList();
      assertThat(gone)
          .as("the refused registry, reported on the Layer's lines\n" + log)
          .anySatisfy(l -> assertThat(l).contains("127.0.0.1:1"));
      assertThat(gone)
          .as("one line per failed attempt: JOSDK's repeat of it is dropped\n" + log)
          .noneMatch(l -> l.contains(" EventProcessor "));
    }
  }

  @Test
  void jsonLogsAreOneObjectPerLineWithTimeAndObject(ControlPlane cluster) throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("jsonlog");
    List<String> args = new ArrayList<>(List.of(args(ns)));
    args.addAll(List.of("--log-format", "json"));
    try (OperatorProcess operator =
        OperatorProcess.start(cluster, List.of("-Xmx256m"), args.toArray(String[]::new))) {
      client.resource(layer(ns, "gone", "127.0.0.1:1/" + ns + "/gone:v1")).create();
      ObjectMapper json = new ObjectMapper();
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                List<JsonNode> objects = new ArrayList<>();
                for (String line : operator.output().lines().toList()) {
                  objects.add(json.readTree(line));
                }
                assertThat(objects)
                    .allSatisfy(o -> assertThat(o.path("time").asText()).endsWith("Z"));
                assertThat(objects)
                    .anySatisfy(
                        o -> {
                          assertThat(o.path("namespace").asText()).isEqualTo(ns);
                          assertThat(o.path("name").asText()).isEqualTo("gone");
                          assertThat(o.path("kind").asText()).isEqualTo("Layer");
                          assertThat(o.path("level").asText()).isEqualTo("WARN");
                          assertThat(o.toString()).contains("127.0.0.1:1");
                        });
                assertThat(objects).noneSatisfy(o -> assertThat(o.has("stackTrace")).isTrue());
              });
    }
  }

  private static String[] args(String ns) {
    List<String> args = new ArrayList<>(List.of(OperatorProcess.testSettings()));
    args.addAll(List.of("--namespaces", ns));
    return args.toArray(String[]::new);
  }

  private static String denyLayersNamedDenied(String name, String ns) {
    return "apiVersion: lamina.dev/v1alpha1\n"
        + "kind: ImagePolicy\n"
        + "metadata:\n"
        + "  name: "
        + name
        + "\n"
        + "spec:\n"
        + "  namespaceSelector:\n"
        + "    matchLabels:\n"
        + "      kubernetes.io/metadata.name: "
        + ns
        + "\n"
        + "  customRules:\n"
        + "    - name: no-denied\n"
        + "      kinds: [Layer]\n"
        + "      expression: \"object.metadata.name != 'denied'\"\n"
        + "      message: this Layer is denied\n";
  }

  /** The value of one sample, {@code name{labels}} exactly as Prometheus' text format has it. */
  static double value(String metrics, String sample) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(sample + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(sample.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + sample + " in\n" + metrics));
  }

  /** The sum of every sample of {@code name}, whatever its labels. */
  static double sum(String metrics, String name) {
    return metrics
        .lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  static Phase phase(KubernetesClient client, String ns, String name) {
    OSImage o = client.resources(OSImage.class).inNamespace(ns).withName(name).get();
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }
}

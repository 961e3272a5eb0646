package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.layer;
import static dev.lamina.reconcile.OperatorTestSupport.settings;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.PlanFactory;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an operator IT class runs against besides the control plane: a registry, the operator in
 * this JVM and, for builds, the local node agent's amd64 and arm64 Nodes. Closing it stops them in
 * reverse order.
 */
final class OperatorHarness implements AutoCloseable {
  private static final Duration LAYER_READY = Duration.ofSeconds(60);

  final OciClient oci = OciClient.builder().build();
  final TestRegistry registry;
  private final KubernetesClient client;
  private LocalNodeAgent agent;
  private OperatorMain operator;
  private OperatorSettings settings;
  private OperatorMain.Options options;

  private OperatorHarness(KubernetesClient client) throws Exception {
    this.client = client;
    this.registry = TestRegistry.start();
  }

  /** Starts the registry and the operator, and the node agent when {@code nodes} is true. */
  static OperatorHarness start(KubernetesClient client, boolean nodes) throws Exception {
    return start(client, nodes, settings());
  }

  /** As {@link #start(KubernetesClient, boolean)}, with the operator's settings given. */
  static OperatorHarness start(KubernetesClient client, boolean nodes, OperatorSettings settings)
      throws Exception {
    return start(client, nodes, settings, OperatorMain.Options.ALL_NAMESPACES);
  }

  /**
   * As {@link #start(KubernetesClient, boolean, OperatorSettings)}, watching what {@code options}
   * say: a test of a cluster-wide count (the build-slot limit) watches only its own namespace, so
   * that the OSImages earlier tests left in the shared API server don't take its slots.
   */
  static OperatorHarness start(
      KubernetesClient client,
      boolean nodes,
      OperatorSettings settings,
      OperatorMain.Options options)
      throws Exception {
    OperatorHarness h = new OperatorHarness(client);
    try {
      if (nodes) {
        h.agent =
            new LocalNodeAgent(
                client,
                List.of("amd64", "arm64"),
                Path.of(System.getProperty("lamina.jar")),
                Files.createTempDirectory("lamina-node"));
        h.agent.start();
      }
      h.settings = settings;
      h.options = options;
      h.operator = new OperatorMain(client, settings, options);
      h.operator.start();
      return h;
    } catch (Exception | Error e) {
      h.close();
      throw e;
    }
  }

  /**
   * Stops the operator and starts a new one with the same settings, as a restart or a fail-over
   * would: its informers list everything again and every object is reconciled once.
   */
  void restartOperator() {
    operator.stop();
    operator = new OperatorMain(client, settings, options);
    operator.start();
  }

  /** A reference to {@code name} in the test registry, without tag or digest. */
  String image(String name) {
    return registry.host() + "/" + name;
  }

  /** The test registry's repository {@code name}. */
  OciRepository repository(String name) {
    return oci.repository(image(name));
  }

  /**
   * Pushes kernel and base layer images for both architectures, tagged v1; returns the base index.
   */
  Descriptor pushLayers(String ns, String version) throws Exception {
    return OperatorTestSupport.pushLayers(oci, image(ns), version);
  }

  /** Pushes kernel and base layer images for both architectures and creates their Layers by tag. */
  void layers(String ns, String version) throws Exception {
    pushLayers(ns, version);
    client.resource(layer(ns, "kernel", image(ns + "/kernel") + ":v1")).create();
    client.resource(layer(ns, "base", image(ns + "/base") + ":v1")).create();
  }

  /**
   * Pushes per-architecture manifests and an index tagged with the input digest the operator will
   * compute for {@code o} once its Layers are Ready, as a build elsewhere would have left them.
   */
  Descriptor seedCache(String ns, OSImage o) throws Exception {
    Map<String, Layer> resolved = new LinkedHashMap<>();
    for (String name : o.getSpec().layerNames()) {
      resolved.put(
          name,
          await()
              .atMost(LAYER_READY)
              .until(
                  () -> client.resources(Layer.class).inNamespace(ns).withName(name).get(),
                  l ->
                      l != null
                          && l.getStatus() != null
                          && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY)));
    }
    return OperatorTestSupport.seedCache(
        oci.repository(o.getSpec().getOutput().getRepository()), PlanFactory.create(o, resolved));
  }

  @Override
  public void close() throws Exception {
    if (operator != null) {
      operator.stop();
    }
    if (agent != null) {
      agent.close();
    }
    registry.close();
  }
}

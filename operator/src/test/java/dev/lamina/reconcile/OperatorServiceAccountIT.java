package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciClient;
import dev.lamina.plan.PlanFactory;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator with nothing but the rights deploy/base/rbac.yaml gives its ServiceAccount: every
 * request goes to the apiserver as {@code system:serviceaccount:lamina-system:lamina-operator}, so
 * a missing rule fails an informer's start or a reconcile here, as it would in a cluster.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorServiceAccountIT {
  static final String ACCOUNT = "system:serviceaccount:lamina-system:lamina-operator";
  static final Duration WAIT = Duration.ofMinutes(3);

  @Test
  void operatorWithTheDeployedRbacResolvesLayersReusesTheCacheAndBuilds(ControlPlane cluster)
      throws Exception {
    KubectlResult applied =
        cluster.kubectl("apply", "-f", "deploy/base/namespace.yaml", "-f", "deploy/base/rbac.yaml");
    assertThat(applied.exitCode()).as(applied.toString()).isZero();
    // The authorizer sees the binding through a watch, a moment after the apply returns.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster
                        .kubectl(
                            "auth",
                            "can-i",
                            "watch",
                            "osimages.lamina.dev",
                            "--as=" + ACCOUNT,
                            "--all-namespaces",
                            "--quiet")
                        .exitCode()
                    == 0);

    KubernetesClient admin = cluster.client();
    String ns = cluster.newNamespace("rbac");
    Config config = Config.fromKubeconfig(Files.readString(cluster.kubeconfigPath()));
    config.setImpersonateUsername(ACCOUNT);
    // The groups a real token of that account carries.
    config.setImpersonateGroups(
        "system:serviceaccounts", "system:serviceaccounts:lamina-system", "system:authenticated");
    try (TestRegistry registry = TestRegistry.start();
        KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(config).build()) {
      // Not an admin: the operator may read a Secret by name, never list them.
      assertThatThrownBy(() -> asOperator.secrets().inNamespace(ns).list())
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      pushLayers(oci, host + "/" + ns, "rbac");
      // A push Secret makes the operator read one; the registry lets anyone push.
      String dockerConfig =
          "{\"auths\":{\""
              + host
              + "\":{\"auth\":\""
              + Base64.getEncoder().encodeToString("lamina:secret".getBytes(StandardCharsets.UTF_8))
              + "\"}}}";
      admin
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("push")
                  .withNamespace(ns)
                  .endMetadata()
                  .withType("kubernetes.io/dockerconfigjson")
                  .addToData(
                      ".dockerconfigjson",
                      Base64.getEncoder()
                          .encodeToString(dockerConfig.getBytes(StandardCharsets.UTF_8)))
                  .build())
          .create();

      OperatorMain operator = new OperatorMain(asOperator, settings());
      operator.start();
      Path work = Files.createTempDirectory("lamina-node");
      try (LocalNodeAgent agent =
          new LocalNodeAgent(
              admin, List.of("amd64", "arm64"), Path.of(System.getProperty("lamina.jar")), work)) {
        admin.resource(layer(ns, "kernel", host + "/" + ns + "/kernel:v1")).create();
        admin.resource(layer(ns, "base", host + "/" + ns + "/base:v1")).create();
        Map<String, Layer> resolved = new LinkedHashMap<>();
        for (String name : List.of("kernel", "base")) {
          await()
              .atMost(WAIT)
              .until(
                  () -> {
                    Layer l = admin.resources(Layer.class).inNamespace(ns).withName(name).get();
                    return l.getStatus() != null
                        && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY);
                  });
          resolved.put(name, admin.resources(Layer.class).inNamespace(ns).withName(name).get());
        }

        OSImage cached =
            osImage(ns, "cached", List.of(Architecture.amd64), host + "/" + ns + "/out", "quiet");
        cached.getSpec().getOutput().setPushSecret("push");
        Descriptor index =
            seedCache(
                oci.repository(host + "/" + ns + "/out"), PlanFactory.create(cached, resolved));
        admin.resource(cached).create();
        await().atMost(WAIT).until(() -> Phase.Ready == phase(admin, ns, "cached"));
        assertThat(get(admin, ns, "cached").getStatus().getDigest()).isEqualTo(index.digest());

        // No node yet: the operator lists nodes to report the missing architecture, then builds
        // once the agent's nodes appear.
        admin
            .resource(
                osImage(
                    ns,
                    "built",
                    List.of(Architecture.amd64, Architecture.arm64),
                    host + "/" + ns + "/out",
                    "console=ttyS0"))
            .create();
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  OSImage o = get(admin, ns, "built");
                  Condition scheduled =
                      o == null || o.getStatus() == null
                          ? null
                          : Conditions.find(o.getStatus().getConditions(), "Scheduled")
                              .orElse(null);
                  assertThat(scheduled).isNotNull();
                  assertThat(scheduled.getReason()).isEqualTo("NoNodeForArchitecture");
                });
        agent.start();
        await().atMost(WAIT).until(() -> Phase.Ready == phase(admin, ns, "built"));
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    admin.pods().inNamespace(ns).list().getItems().isEmpty()
                        && admin
                            .configMaps()
                            .inNamespace(ns)
                            .withLabel("lamina.dev/osimage")
                            .list()
                            .getItems()
                            .isEmpty());
        assertThat(admin.v1().events().inNamespace(ns).list().getItems())
            .extracting(e -> e.getReason())
            .contains("NoNodeForArchitecture", "BuildStarted", "BuildSucceeded");
      } finally {
        operator.stop();
      }
    }
  }

  static OSImage get(KubernetesClient client, String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  static Phase phase(KubernetesClient client, String ns, String name) {
    OSImage o = get(client, ns, name);
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }
}

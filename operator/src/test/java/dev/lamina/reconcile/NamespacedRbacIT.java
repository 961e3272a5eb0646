package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.OciClient;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator with nothing but the RBAC of deploy/overlays/namespaced, watching the namespaces its
 * Deployment's --namespaces names: it resolves Layers and builds an image there (so no permission
 * is missing), and it may not read Secrets, create pods or see anything namespaced elsewhere (so
 * none is extra).
 *
 * <p>The overlay's objects are installed under names of this test's own (a ServiceAccount, Roles
 * and bindings with a suffix, the watched namespace renamed), so that deploy/'s ClusterRole, which
 * other tests bind to lamina-operator in the same control plane, adds nothing here.
 */
@ExtendWith(ControlPlaneExtension.class)
class NamespacedRbacIT {
  static final Duration WAIT = Duration.ofMinutes(3);

  @Test
  void operatorUnderTheNamespacedOverlayBuildsThereAndMayDoNothingElsewhere(ControlPlane cluster)
      throws Exception {
    KubernetesClient admin = cluster.client();
    String suffix = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36), 36);
    String watched = "lamina-images-" + suffix;
    String account = "lamina-operator-" + suffix;
    String user = "system:serviceaccount:lamina-system:" + account;

    KubectlResult rendered = cluster.kubectl("kustomize", "deploy/overlays/namespaced");
    assertThat(rendered.exitCode()).as(rendered.toString()).isZero();
    List<HasMetadata> objects =
        admin
            .load(
                new ByteArrayInputStream(
                    rendered
                        .stdout()
                        .replace("lamina-images", watched)
                        .getBytes(StandardCharsets.UTF_8)))
            .items();
    Deployment deployment =
        objects.stream()
            .filter(Deployment.class::isInstance)
            .map(Deployment.class::cast)
            .findFirst()
            .orElseThrow();
    List<String> namespaces =
        deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().stream()
            .filter(a -> a.startsWith("--namespaces="))
            .flatMap(a -> List.of(a.substring("--namespaces=".length()).split(",")).stream())
            .toList();
    assertThat(namespaces)
        .as("the overlay's Deployment watches its namespace")
        .containsExactly(watched);
    assertThat(objects)
        .as("the overlay has no ClusterRole that reaches namespaced resources")
        .noneMatch(
            o ->
                o.getKind().equals("ClusterRole")
                    && o.getMetadata().getName().equals("lamina-operator"));

    // Exactly what the operator does, rule by rule: any rule more is a permission too many.
    java.util.Set<String> granted = new java.util.TreeSet<>();
    for (HasMetadata o : objects) {
      List<io.fabric8.kubernetes.api.model.rbac.PolicyRule> rules =
          o instanceof io.fabric8.kubernetes.api.model.rbac.Role r
              ? r.getRules()
              : o instanceof io.fabric8.kubernetes.api.model.rbac.ClusterRole c
                  ? c.getRules()
                  : List.of();
      String where =
          o.getMetadata().getNamespace() == null ? "cluster" : o.getMetadata().getNamespace();
      for (var rule : rules) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              granted.add(
                  where + " " + verb + " " + resource + (group.isEmpty() ? "" : "." + group));
            }
          }
        }
      }
    }
    java.util.Set<String> expected = new java.util.TreeSet<>();
    for (String r : List.of("layers", "osimages")) {
      for (String verb : List.of("get", "list", "watch")) {
        expected.add(watched + " " + verb + " " + r + ".lamina.dev");
      }
      expected.add(watched + " patch " + r + "/status.lamina.dev");
    }
    expected.add(watched + " update osimages/finalizers.lamina.dev");
    for (String r : List.of("pods", "configmaps")) {
      for (String verb : List.of("get", "list", "watch", "create", "delete")) {
        expected.add(watched + " " + verb + " " + r);
      }
    }
    expected.addAll(
        List.of(
            watched + " get secrets",
            watched + " get events",
            watched + " create events",
            watched + " patch events",
            "lamina-system get pods",
            "lamina-system get leases.coordination.k8s.io",
            "lamina-system create leases.coordination.k8s.io",
            "lamina-system update leases.coordination.k8s.io",
            "lamina-system patch leases.coordination.k8s.io",
            "cluster get imagepolicies.lamina.dev",
            "cluster list imagepolicies.lamina.dev",
            "cluster watch imagepolicies.lamina.dev",
            "cluster patch imagepolicies/status.lamina.dev",
            "cluster list nodes",
            "cluster watch nodes",
            "cluster list namespaces",
            "cluster watch namespaces"));
    assertThat(granted).isEqualTo(expected);

    List<HasMetadata> rbac = new ArrayList<>();
    for (HasMetadata o : objects) {
      switch (o.getKind()) {
        case "Namespace" -> rbac.add(o);
        case "ServiceAccount", "Role", "ClusterRole" -> {
          o.getMetadata().setName(o.getMetadata().getName() + "-" + suffix);
          rbac.add(o);
        }
        case "RoleBinding" -> {
          RoleBinding b = (RoleBinding) o;
          b.getMetadata().setName(b.getMetadata().getName() + "-" + suffix);
          b.getRoleRef().setName(b.getRoleRef().getName() + "-" + suffix);
          b.getSubjects().forEach(s -> rename(s, account));
          rbac.add(b);
        }
        case "ClusterRoleBinding" -> {
          ClusterRoleBinding b = (ClusterRoleBinding) o;
          b.getMetadata().setName(b.getMetadata().getName() + "-" + suffix);
          b.getRoleRef().setName(b.getRoleRef().getName() + "-" + suffix);
          b.getSubjects().forEach(s -> rename(s, account));
          rbac.add(b);
        }
        default -> {}
      }
    }
    for (HasMetadata o : rbac) {
      admin.resource(o).serverSideApply();
    }
    String elsewhere = cluster.newNamespace("elsewhere");
    // The authorizer sees the bindings through a watch, a moment after they are written.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> canI(cluster, user, "create pods -n " + watched));

    List<String> allowed =
        List.of(
            "list layers.lamina.dev -n " + watched,
            "watch osimages.lamina.dev -n " + watched,
            "patch osimages.lamina.dev --subresource=status -n " + watched,
            "patch layers.lamina.dev --subresource=status -n " + watched,
            "update osimages.lamina.dev --subresource=finalizers -n " + watched,
            "create pods -n " + watched,
            "delete configmaps -n " + watched,
            "get secrets -n " + watched,
            "create events -n " + watched,
            "get events -n " + watched,
            "get pods -n lamina-system",
            "get leases.coordination.k8s.io -n lamina-system",
            "create leases.coordination.k8s.io -n lamina-system",
            "update leases.coordination.k8s.io -n lamina-system",
            "list imagepolicies.lamina.dev",
            "patch imagepolicies.lamina.dev --subresource=status",
            "watch nodes",
            "list namespaces");
    List<String> denied =
        List.of(
            "get secrets -n " + elsewhere,
            "get secrets -n lamina-system",
            "list secrets -n " + watched,
            "create secrets -n " + watched,
            "create pods -n " + elsewhere,
            "create pods -n lamina-system",
            "list pods -n " + elsewhere,
            "list pods --all-namespaces",
            "list osimages.lamina.dev -n " + elsewhere,
            "list osimages.lamina.dev --all-namespaces",
            "list configmaps -n " + elsewhere,
            "create events -n " + elsewhere,
            "update leases.coordination.k8s.io -n " + elsewhere,
            "patch pods -n " + watched,
            "update osimages.lamina.dev -n " + watched,
            "delete nodes",
            "create imagepolicies.lamina.dev");
    assertThat(allowed).allSatisfy(a -> assertThat(canI(cluster, user, a)).as(a).isTrue());
    assertThat(denied).allSatisfy(d -> assertThat(canI(cluster, user, d)).as(d).isFalse());

    Config config = Config.fromKubeconfig(Files.readString(cluster.kubeconfigPath()));
    config.setImpersonateUsername(user);
    config.setImpersonateGroups(
        "system:serviceaccounts", "system:serviceaccounts:lamina-system", "system:authenticated");
    try (TestRegistry registry = TestRegistry.start();
        KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(config).build();
        LocalNodeAgent agent =
            new LocalNodeAgent(
                admin,
                List.of("amd64", "arm64"),
                Path.of(System.getProperty("lamina.jar")),
                Files.createTempDirectory("lamina-node"))) {
      agent.start();
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      pushLayers(oci, host + "/" + watched, "namespaced");
      admin.resource(layer(watched, "kernel", host + "/" + watched + "/kernel:v1")).create();
      admin.resource(layer(watched, "base", host + "/" + watched + "/base:v1")).create();
      // An OSImage outside the watched namespaces stays untouched.
      admin.resource(layer(elsewhere, "kernel", host + "/" + watched + "/kernel:v1")).create();
      admin
          .resource(
              osImage(elsewhere, "ignored", List.of(Architecture.amd64), host + "/out", "quiet"))
          .create();

      OperatorMain operator =
          new OperatorMain(
              asOperator, settings(), new OperatorMain.Options(Set.copyOf(namespaces), null));
      operator.start();
      try {
        admin
            .resource(
                osImage(
                    watched,
                    "edge",
                    List.of(Architecture.amd64, Architecture.arm64),
                    host + "/" + watched + "/out",
                    "quiet"))
            .create();
        await().atMost(WAIT).until(() -> phase(admin, watched, "edge") == Phase.Ready);
        assertThat(operator.isHealthy()).isTrue();
        assertThat(admin.v1().events().inNamespace(watched).list().getItems())
            .extracting(e -> e.getReason())
            .contains("BuildStarted", "BuildSucceeded");
        assertThat(
                admin
                    .resources(OSImage.class)
                    .inNamespace(elsewhere)
                    .withName("ignored")
                    .get()
                    .getStatus())
            .as("an OSImage outside the watched namespaces")
            .isNull();
        assertThat(admin.pods().inNamespace(elsewhere).list().getItems()).isEmpty();
      } finally {
        operator.stop();
      }
    } finally {
      for (HasMetadata o : rbac) {
        if (!o.getKind().equals("Namespace") || o.getMetadata().getName().equals(watched)) {
          admin.resource(o).delete();
        }
      }
    }
  }

  private static void rename(Subject s, String account) {
    if ("ServiceAccount".equals(s.getKind())) {
      s.setName(account);
    }
  }

  private static boolean canI(ControlPlane cluster, String user, String what) {
    List<String> args = new ArrayList<>(List.of("auth", "can-i"));
    args.addAll(List.of(what.split(" ")));
    args.addAll(List.of("--as=" + user, "--quiet"));
    KubectlResult result = cluster.kubectl(args.toArray(String[]::new));
    if (result.exitCode() > 1) {
      throw new IllegalStateException(result.toString());
    }
    return result.exitCode() == 0;
  }

  static Phase phase(KubernetesClient client, String ns, String name) {
    OSImage o = client.resources(OSImage.class).inNamespace(ns).withName(name).get();
    return o == null || o.getStatus() == null ? null : o.getStatus().getPhase();
  }
}

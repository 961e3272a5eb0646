package dev.lamina;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.cli.Main;
import dev.lamina.testing.BuildPodPolicy;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** deploy/ installs on a real apiserver, within the restricted Pod Security Standard. */
@ExtendWith(ControlPlaneExtension.class)
class InstallManifestsIT {
  private static final String OPERATOR = "system:serviceaccount:lamina-system:lamina-operator";

  @Test
  void kustomizationAppliesWithServerDryRunAndMeetsRestrictedPodSecurity(ControlPlane cluster) {
    // A server dry run creates nothing, so the namespace its objects live in must exist first;
    // its restricted label is also what makes the apiserver check the Deployment's pod template.
    KubectlResult namespace = cluster.kubectl("apply", "-f", "deploy/base/namespace.yaml");
    assertThat(namespace.exitCode()).as(namespace.toString()).isZero();

    KubectlResult result = cluster.kubectl("apply", "-k", "deploy", "--dry-run=server");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.stdout())
        .as(result.toString())
        .contains(
            "customresourcedefinition.apiextensions.k8s.io/layers.lamina.dev",
            "customresourcedefinition.apiextensions.k8s.io/osimages.lamina.dev",
            "customresourcedefinition.apiextensions.k8s.io/imagepolicies.lamina.dev",
            "namespace/lamina-system",
            "serviceaccount/lamina-operator",
            "clusterrole.rbac.authorization.k8s.io/lamina-operator",
            "clusterrolebinding.rbac.authorization.k8s.io/lamina-operator",
            "role.rbac.authorization.k8s.io/lamina-operator-leader-election",
            "rolebinding.rbac.authorization.k8s.io/lamina-operator-leader-election",
            "service/lamina-operator-metrics",
            "deployment.apps/lamina-operator");
    assertThat(result.stderr()).as(result.toString()).doesNotContain("PodSecurity");
  }

  @Test
  void operatorServiceAccountMayDoWhatTheOperatorDoes(ControlPlane cluster) {
    KubectlResult applied =
        cluster.kubectl("apply", "-f", "deploy/base/namespace.yaml", "-f", "deploy/base/rbac.yaml");
    assertThat(applied.exitCode()).as(applied.toString()).isZero();

    // Every request the operator makes: informers list and watch; status is patched; build pods
    // and plan ConfigMaps are created and deleted and name an OSImage as blocking owner; the
    // operator's own pod is read for its image digest (get pods); Secrets
    // are read by name; events are recorded; nodes are listed for NoNodeForArchitecture.
    List<String> allowed = new ArrayList<>();
    for (String kind : List.of("layers", "osimages", "imagepolicies")) {
      allowed.add("list " + kind + ".lamina.dev");
      allowed.add("watch " + kind + ".lamina.dev");
      allowed.add("patch " + kind + ".lamina.dev --subresource=status");
    }
    allowed.add("update osimages.lamina.dev --subresource=finalizers");
    for (String kind : List.of("pods", "configmaps")) {
      for (String verb : List.of("list", "watch", "create", "delete")) {
        allowed.add(verb + " " + kind);
      }
    }
    allowed.addAll(
        List.of(
            "get secrets",
            "get pods",
            "get events",
            "create events",
            "patch events",
            "list nodes",
            "watch nodes",
            "list namespaces",
            "watch namespaces"));
    // The authorizer sees the new binding through a watch, a moment after the apply returns.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(allowed).allSatisfy(a -> assertThat(canI(cluster, a)).as(a).isTrue()));
    assertThat(
            List.of(
                "delete osimages.lamina.dev",
                "update osimages.lamina.dev",
                "patch layers.lamina.dev",
                "create secrets",
                "list secrets",
                "delete nodes",
                "patch pods",
                "create pods --subresource=exec",
                "update leases.coordination.k8s.io",
                "patch leases.coordination.k8s.io"))
        .allSatisfy(d -> assertThat(canI(cluster, d)).as(d).isFalse());
    // Leader election: the Lease in the operator's own namespace only. fabric8's LeaderElector
    // renews it with a PATCH, so patch is needed too (without it the first leader loses the Lease
    // after one term and no replica can take it over).
    for (String verb : List.of("get", "create", "update", "patch")) {
      KubectlResult lease =
          cluster.kubectl(
              "auth",
              "can-i",
              verb,
              "leases.coordination.k8s.io",
              "-n",
              "lamina-system",
              "--as=" + OPERATOR,
              "--quiet");
      assertThat(lease.exitCode()).as(verb + " leases: " + lease).isZero();
    }
  }

  @Test
  void twoReplicasRollOneAtATimeAndServeMetricsThroughTheServiceAndItsMonitor(ControlPlane cluster)
      throws Exception {
    // An overlay of deploy/ with the optional ServiceMonitor component, as a user would write it.
    Path repo = cluster.repoRoot();
    Path overlay = Files.createTempDirectory(repo.resolve("operator/target"), "overlay");
    Path toRepo = overlay.relativize(repo);
    Files.writeString(
        overlay.resolve("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
            + "kind: Kustomization\n"
            + "resources:\n"
            + "  - "
            + toRepo.resolve("deploy")
            + "\n"
            + "components:\n"
            + "  - "
            + toRepo.resolve("deploy/components/servicemonitor")
            + "\n");
    KubectlResult rendered = cluster.kubectl("kustomize", overlay.toString());
    assertThat(rendered.exitCode()).as(rendered.toString()).isZero();
    List<HasMetadata> objects =
        cluster
            .client()
            .load(
                new java.io.ByteArrayInputStream(
                    rendered.stdout().getBytes(StandardCharsets.UTF_8)))
            .items();
    Deployment deployment = BuildPodPolicy.operatorDeployment(cluster, rendered.stdout());
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(
            deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isZero();
    Container operator = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    ContainerPort port =
        operator.getPorts().stream()
            .filter(p -> "health".equals(p.getName()))
            .findFirst()
            .orElseThrow();

    Service service =
        objects.stream()
            .filter(Service.class::isInstance)
            .map(Service.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    ServicePort metrics = service.getSpec().getPorts().get(0);
    assertThat(metrics.getName()).isEqualTo("metrics");
    assertThat(metrics.getTargetPort().getStrVal()).isEqualTo(port.getName());
    // The ServiceMonitor (a custom resource of the Prometheus Operator, absent here) selects that
    // Service and scrapes its metrics port at /metrics.
    GenericKubernetesResource monitor =
        objects.stream()
            .filter(GenericKubernetesResource.class::isInstance)
            .map(GenericKubernetesResource.class::cast)
            .filter(o -> "ServiceMonitor".equals(o.getKind()))
            .findFirst()
            .orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    Map<String, String> selector =
        (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
    assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(selector);
    @SuppressWarnings("unchecked")
    Map<String, Object> endpoint = ((List<Map<String, Object>>) spec.get("endpoints")).get(0);
    assertThat(endpoint).containsEntry("port", "metrics").containsEntry("path", "/metrics");
  }

  @Test
  void deploymentNamesItsImageOnceAndLetsTheOperatorFindItsOwnDigest(ControlPlane cluster)
      throws Exception {
    KubectlResult rendered = cluster.kubectl("kustomize", "deploy");
    assertThat(rendered.exitCode()).as(rendered.toString()).isZero();
    Deployment deployment = BuildPodPolicy.operatorDeployment(cluster, rendered.stdout());
    Container operator = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);

    // The image comes from the one images: entry of the kustomization.
    @SuppressWarnings("unchecked")
    Map<String, Object> kustomization =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readValue(
                java.nio.file.Files.readString(
                    Path.of(
                        System.getProperty("lamina.repoRoot", ".."),
                        "deploy/base/kustomization.yaml")),
                Map.class);
    @SuppressWarnings("unchecked")
    List<Map<String, String>> images = (List<Map<String, String>>) kustomization.get("images");
    assertThat(images).hasSize(1);
    assertThat(operator.getImage())
        .isEqualTo(images.get(0).get("newName") + ":" + images.get(0).get("newTag"));
    // Named in the Deployment and, copied there by kustomize, in the build-pod admission policy.
    assertThat(rendered.stdout().split(java.util.regex.Pattern.quote(operator.getImage()), -1))
        .as("the image appears in the Deployment and the admission policy only")
        .hasSize(3);
    // The policy's CEL string literal, as YAML quotes it.
    assertThat(rendered.stdout()).contains("'''" + operator.getImage() + "'''");

    // Parsed as the container's entry point, lamina, parses it: no second image name, but the
    // pod's own name and namespace, from which the operator reads its image digest.
    CommandLine.ParseResult parsed =
        new CommandLine(new Main()).parseArgs(operator.getArgs().toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("operator");
    assertThat(parsed.subcommand().hasMatchedOption("--builder-image")).isFalse();
    Map<String, String> fieldRefs = new java.util.TreeMap<>();
    for (var env : operator.getEnv()) {
      if (env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null) {
        fieldRefs.put(env.getName(), env.getValueFrom().getFieldRef().getFieldPath());
      }
    }
    assertThat(fieldRefs)
        .containsEntry("POD_NAME", "metadata.name")
        .containsEntry("POD_NAMESPACE", "metadata.namespace");
  }

  private static boolean canI(ControlPlane cluster, String what) {
    String[] words = what.split(" ");
    String[] args = new String[words.length + 5];
    args[0] = "auth";
    args[1] = "can-i";
    System.arraycopy(words, 0, args, 2, words.length);
    args[words.length + 2] = "--as=" + OPERATOR;
    args[words.length + 3] = "--all-namespaces";
    args[words.length + 4] = "--quiet";
    KubectlResult result = cluster.kubectl(args);
    if (result.exitCode() > 1) {
      throw new IllegalStateException(result.toString());
    }
    return result.exitCode() == 0;
  }
}

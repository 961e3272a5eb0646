package dev.lamina;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** deploy/ installs on a real apiserver, within the restricted Pod Security Standard. */
@ExtendWith(ControlPlaneExtension.class)
class InstallManifestsIT {
  private static final String OPERATOR = "system:serviceaccount:lamina-system:lamina-operator";

  @Test
  void kustomizationAppliesWithServerDryRunAndMeetsRestrictedPodSecurity(ControlPlane cluster) {
    // A server dry run creates nothing, so the namespace its objects live in must exist first;
    // its restricted label is also what makes the apiserver check the Deployment's pod template.
    KubectlResult namespace = cluster.kubectl("apply", "-f", "deploy/namespace.yaml");
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
            "deployment.apps/lamina-operator");
    assertThat(result.stderr()).as(result.toString()).doesNotContain("PodSecurity");
  }

  @Test
  void operatorServiceAccountMayDoWhatTheOperatorDoes(ControlPlane cluster) {
    KubectlResult applied =
        cluster.kubectl("apply", "-f", "deploy/namespace.yaml", "-f", "deploy/rbac.yaml");
    assertThat(applied.exitCode()).as(applied.toString()).isZero();

    List<String> allowed =
        List.of(
            "watch osimages.lamina.dev",
            "patch osimages.lamina.dev --subresource=status",
            "patch layers.lamina.dev --subresource=status",
            "patch imagepolicies.lamina.dev --subresource=status",
            "create pods",
            "delete pods",
            "create configmaps",
            "get secrets",
            "create events",
            "list nodes",
            "list namespaces",
            "update leases.coordination.k8s.io");
    // The authorizer sees the new binding through a watch, a moment after the apply returns.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(allowed).allSatisfy(a -> assertThat(canI(cluster, a)).as(a).isTrue()));
    assertThat(
            List.of(
                "delete osimages.lamina.dev",
                "create secrets",
                "delete nodes",
                "create pods --subresource=exec"))
        .allSatisfy(d -> assertThat(canI(cluster, d)).as(d).isFalse());
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

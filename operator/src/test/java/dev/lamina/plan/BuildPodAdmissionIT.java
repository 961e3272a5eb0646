package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.testing.BuildPodPolicy;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/base/build-pods.yaml on a real apiserver: the operator's ServiceAccount (impersonated,
 * with the RBAC of deploy/base/rbac.yaml) may create the pods BuildPodFactory makes, and nothing
 * shaped otherwise. Pods are created with a server-side dry run, which runs admission in full.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuildPodAdmissionIT {
  static final String ACCOUNT = BuildPodPolicy.ACCOUNT;
  static final String POLICY = BuildPodPolicy.NAME;

  ControlPlane cluster;
  KubernetesClient admin;
  KubernetesClient asOperator;
  String image;
  String ns;
  OSImage owner;
  BuildPodPolicy installed;

  @BeforeAll
  void install(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.admin = cluster.client();
    installed = BuildPodPolicy.install(cluster);
    image = installed.image();

    asOperator = BuildPodPolicy.asOperator(cluster);

    ns = cluster.newNamespace("buildpods");
    owner = PlanFactoryTest.image("edge", "console=ttyS0", List.of(Architecture.amd64));
    owner.getMetadata().setNamespace(ns);
    owner.getMetadata().setGeneration(null);
    owner.getSpec().getOutput().setPushSecret("push");
    owner = admin.resource(owner).create();
    awaitEnforced();
  }

  @AfterAll
  void uninstall() throws Exception {
    if (asOperator != null) {
      asOperator.close();
    }
    // The control plane outlives this class; other tests' operators must not meet the policy.
    if (installed != null) {
      installed.uninstall(cluster);
    }
  }

  /** What the operator creates: a push Secret and a pull Secret on each layer. */
  Pod buildPod(String name) {
    Map<String, Layer> layers = new HashMap<>(PlanFactoryTest.layers());
    layers.get("kernel").getSpec().setPullSecret("kernel-pull");
    layers.get("base").getSpec().setPullSecret("base-pull");
    BuildPlan plan = PlanFactory.create(owner, layers);
    Pod pod =
        BuildPodFactory.pod(owner, plan, Architecture.amd64, 1, image, Set.of("registry:5000"));
    pod.getMetadata().setName(name);
    return pod;
  }

  Pod createAsOperator(Pod pod) {
    return asOperator.pods().inNamespace(ns).resource(pod).dryRun().create();
  }

  void awaitEnforced() {
    await(POLICY + " enforced")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Pod probe = buildPod("probe");
              probe.getSpec().setHostNetwork(true);
              try {
                createAsOperator(probe);
                return false;
              } catch (KubernetesClientException e) {
                return e.getCode() == 403 || e.getCode() == 422
                    ? e.getMessage().contains(POLICY)
                    : false;
              }
            });
  }

  @Test
  void buildPodFromBuildPodFactoryIsAdmitted() {
    Pod admitted = createAsOperator(buildPod("build"));
    assertThat(admitted.getSpec().getContainers().get(0).getImage()).isEqualTo(image);
    assertThat(admitted.getSpec().getVolumes())
        .anySatisfy(v -> assertThat(v.getProjected()).isNotNull());
  }

  @Test
  void buildPodByDigestOfTheOperatorsRepositoryIsAdmitted() {
    // The operator runs its build pods by the digest its own pod reports, not by the tag.
    String byDigest = repository(image) + "@sha256:" + "ab".repeat(32);
    Pod pod = buildPod("by-digest");
    pod.getSpec().getContainers().get(0).setImage(byDigest);
    assertThat(createAsOperator(pod).getSpec().getContainers().get(0).getImage())
        .isEqualTo(byDigest);
  }

  static String repository(String reference) {
    int at = reference.indexOf('@');
    if (at >= 0) {
      return reference.substring(0, at);
    }
    int colon = reference.lastIndexOf(':');
    return colon > reference.lastIndexOf('/') ? reference.substring(0, colon) : reference;
  }

  static Arguments hostile(String what, Consumer<Pod> change, String message) {
    return Arguments.of(what, change, message);
  }

  static Stream<Arguments> hostilePods() {
    return Stream.of(
        hostile(
            "privileged",
            p -> {
              // The apiserver itself refuses privileged with allowPrivilegeEscalation false.
              p.getSpec().getContainers().get(0).getSecurityContext().setPrivileged(true);
              p.getSpec()
                  .getContainers()
                  .get(0)
                  .getSecurityContext()
                  .setAllowPrivilegeEscalation(null);
            },
            "a build pod is not privileged"),
        hostile(
            "hostPath volume",
            p -> {
              p.getSpec()
                  .getVolumes()
                  .add(
                      new VolumeBuilder()
                          .withName("root")
                          .withNewHostPath()
                          .withPath("/")
                          .endHostPath()
                          .build());
              VolumeMount m = new VolumeMount();
              m.setName("root");
              m.setMountPath("/host");
              m.setReadOnly(true);
              p.getSpec().getContainers().get(0).getVolumeMounts().add(m);
            },
            "a build pod mounts no hostPath volume"),
        hostile(
            "another image",
            p -> p.getSpec().getContainers().get(0).setImage("docker.io/library/alpine:3"),
            "a build pod runs the operator's own image"),
        hostile(
            "a digest of another repository",
            p -> {
              Container c = p.getSpec().getContainers().get(0);
              c.setImage(repository(c.getImage()) + "-evil@sha256:" + "ab".repeat(32));
            },
            "a build pod runs the operator's own image"),
        hostile(
            "the operator's repository with a malformed digest",
            p -> {
              Container c = p.getSpec().getContainers().get(0);
              c.setImage(repository(c.getImage()) + "@sha256:abc");
            },
            "a build pod runs the operator's own image"),
        hostile(
            "host network",
            p -> p.getSpec().setHostNetwork(true),
            "a build pod uses no host network, PID or IPC namespace and no host port"),
        hostile(
            "host PID",
            p -> p.getSpec().setHostPID(true),
            "a build pod uses no host network, PID or IPC namespace and no host port"),
        hostile(
            "host port",
            p -> {
              ContainerPort port = new ContainerPort();
              port.setContainerPort(22);
              port.setHostPort(22);
              p.getSpec().getContainers().get(0).setPorts(List.of(port));
            },
            "a build pod uses no host network, PID or IPC namespace and no host port"),
        hostile(
            "a command of its own",
            p -> p.getSpec().getContainers().get(0).setCommand(List.of("/bin/sh", "-c", "id")),
            "a build pod runs `lamina build`"),
        hostile(
            "another lamina subcommand",
            p -> p.getSpec().getContainers().get(0).setArgs(List.of("operator")),
            "a build pod runs `lamina build`"),
        hostile(
            "a Secret's other keys",
            p ->
                p.getSpec()
                    .getVolumes()
                    .add(
                        new VolumeBuilder()
                            .withName("token")
                            .withNewSecret()
                            .withSecretName("some-service-account-token")
                            .endSecret()
                            .build()),
            "a build pod's volumes are configMap, emptyDir, and Secrets' .dockerconfigjson keys"),
        hostile(
            "a service account token",
            p -> p.getSpec().setAutomountServiceAccountToken(true),
            "a build pod runs as the namespace's default ServiceAccount, without its token"),
        hostile(
            "another service account",
            p -> p.getSpec().setServiceAccountName("lamina-operator"),
            "a build pod runs as the namespace's default ServiceAccount, without its token"),
        hostile(
            "root",
            p -> p.getSpec().getSecurityContext().setRunAsUser(0L),
            "a build pod runs restricted"),
        hostile(
            "privilege escalation",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .getSecurityContext()
                    .setAllowPrivilegeEscalation(true),
            "a build pod runs restricted"),
        hostile(
            "capabilities kept",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .getSecurityContext()
                    .getCapabilities()
                    .setDrop(List.of()),
            "a build pod runs restricted"),
        hostile(
            "writable root filesystem",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .getSecurityContext()
                    .setReadOnlyRootFilesystem(false),
            "a build pod runs restricted"),
        hostile(
            "unconfined seccomp",
            p -> p.getSpec().getSecurityContext().getSeccompProfile().setType("Unconfined"),
            "a build pod runs restricted"),
        hostile(
            "environment from a Secret",
            p ->
                p.getSpec()
                    .getContainers()
                    .get(0)
                    .getEnv()
                    .add(
                        new EnvVarBuilder()
                            .withName("STOLEN")
                            .withNewValueFrom()
                            .withNewSecretKeyRef("password", "db", false)
                            .endValueFrom()
                            .build()),
            "a build pod takes no environment from Secrets"),
        hostile(
            "writable Secret mount",
            p ->
                p.getSpec().getContainers().get(0).getVolumeMounts().stream()
                    .filter(m -> m.getName().equals("pull-secrets"))
                    .forEach(m -> m.setReadOnly(false)),
            "a build pod mounts every volume but emptyDir read-only"),
        hostile(
            "pinned to a node",
            p -> p.getSpec().setNodeName("control-plane"),
            "a build pod is placed by the scheduler"),
        hostile(
            "no OSImage owner",
            p -> p.getMetadata().setOwnerReferences(List.of()),
            "a build pod is owned by the OSImage it builds"));
  }

  @ParameterizedTest(name = "{0} is rejected")
  @MethodSource("hostilePods")
  void podNotShapedLikeABuildPodIsRejectedWithThePolicysMessage(
      String what, Consumer<Pod> change, String message) {
    Pod pod = buildPod("hostile");
    change.accept(pod);
    KubernetesClientException e =
        catchThrowableOfType(KubernetesClientException.class, () -> createAsOperator(pod));
    assertThat(e).as(what + " was admitted").isNotNull();
    assertThat(e.getMessage())
        .contains("ValidatingAdmissionPolicy '" + POLICY + "'")
        .contains(message);
  }

  @Test
  void otherUsersAreNotMatched() {
    Pod pod = buildPod("admins");
    pod.getSpec().setHostNetwork(true);
    pod.getSpec().getContainers().get(0).setImage("docker.io/library/alpine:3");
    assertThat(admin.pods().inNamespace(ns).resource(pod).dryRun().create()).isNotNull();
  }

  @Test
  void policyTypeChecksWithoutWarnings() {
    await("type checking of " + POLICY)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              var vap = admin.resources(ValidatingAdmissionPolicy.class).withName(POLICY).get();
              return vap.getStatus() != null && vap.getStatus().getTypeChecking() != null;
            });
    var status =
        admin.resources(ValidatingAdmissionPolicy.class).withName(POLICY).get().getStatus();
    assertThat(status.getTypeChecking().getExpressionWarnings()).isEmpty();
  }
}

package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.layer;
import static dev.lamina.reconcile.OperatorTestSupport.utf8;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.DockerConfig;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.OciClient;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.PlanFactory;
import dev.lamina.testing.BuildPodPolicy;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers in a registry that refuses anonymous pulls: the operator resolves them with each Layer's
 * pull Secret, and the build pod, run by the local node agent as a real {@code lamina build}
 * process, pulls them with the same Secret mounted into it. The operator runs as its ServiceAccount
 * under deploy/base/build-pods.yaml, so the pod it makes also passes that policy.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PullSecretBuildIT {
  static final Duration BUILD = Duration.ofMinutes(3);
  static final String USER = "puller";
  static final String PASSWORD = "pull-password";

  ControlPlane cluster;
  KubernetesClient client;
  KubernetesClient asOperator;
  BuildPodPolicy policy;
  TestRegistry open;
  TestRegistry locked;
  LocalNodeAgent agent;
  OperatorMain operator;
  OciClient oci;

  @TempDir Path tmp;

  /**
   * The operator runs as its ServiceAccount with deploy/base/rbac.yaml, under
   * deploy/base/build-pods.yaml, with the Deployment's image as builder image: its build pods must
   * pass the policy with their pull and push Secrets mounted.
   */
  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    oci = OciClient.builder().build();
    policy = BuildPodPolicy.install(cluster);
    asOperator = BuildPodPolicy.asOperator(cluster);
    open = TestRegistry.start();
    locked = TestRegistry.builder().basicAuth(USER, PASSWORD).start();
    agent =
        new LocalNodeAgent(
            client,
            List.of("amd64", "arm64"),
            Path.of(System.getProperty("lamina.jar")),
            Files.createTempDirectory("lamina-node"));
    agent.start();
    OperatorSettings defaults = OperatorTestSupport.settings();
    operator =
        new OperatorMain(
            asOperator,
            new OperatorSettings(
                defaults.tagResolveInterval(),
                defaults.noNodeGrace(),
                policy.image(),
                defaults.insecureRegistries(),
                defaults.retryBackoff()));
    operator.start();
  }

  @AfterAll
  void stop() throws Exception {
    if (operator != null) {
      operator.stop();
    }
    if (agent != null) {
      agent.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {asOperator, open, locked}) {
      if (c != null) {
        c.close();
      }
    }
    if (policy != null) {
      policy.uninstall(cluster);
    }
  }

  String dockerConfigJson() {
    String auth =
        Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    return "{\"auths\":{\"" + locked.host() + "\":{\"auth\":\"" + auth + "\"}}}";
  }

  @Test
  void layersBehindPullAuthBuildReadyWithTheirPullSecretMountedInThePod() throws Exception {
    String ns = cluster.newNamespace("pullsecret");
    String prefix = locked.host() + "/" + ns;
    OciClient authed =
        oci.withCredentials(DockerConfig.parse(utf8(dockerConfigJson()), "test credentials"));
    OperatorTestSupport.pushLayers(authed, prefix, "private");
    // The registry really refuses an anonymous pull.
    assertThat(catchThrowable(() -> oci.repository(prefix + "/base").resolveTag("v1")))
        .as("anonymous pull from the locked registry")
        .isInstanceOf(IOException.class);

    secret(ns, "private-pull", dockerConfigJson());
    // The open registry takes any credentials; a push Secret puts a second Secret in the pod.
    secret(
        ns,
        "push",
        "{\"auths\":{\""
            + open.host()
            + "\":{\"auth\":\""
            + Base64.getEncoder().encodeToString(utf8("pusher:any"))
            + "\"}}}");
    for (String name : List.of("kernel", "base")) {
      Layer l = layer(ns, name, prefix + "/" + name + ":v1");
      l.getSpec().setPullSecret("private-pull");
      client.resource(l).create();
    }

    OSImage o =
        osImage(ns, "edge", List.of(Architecture.amd64), open.host() + "/" + ns + "/out", "quiet");
    o.getSpec().getOutput().setPushSecret("push");
    Map<String, Pod> pods = new ConcurrentHashMap<>();
    try (Watch watch = watchPods(ns, pods)) {
      client.resource(o).create();
      await()
          .atMost(BUILD)
          .until(
              () -> {
                OSImage got =
                    client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
                return got.getStatus() != null
                    && (got.getStatus().getPhase() == Phase.Ready
                        || got.getStatus().getPhase() == Phase.Failed);
              });
    }
    OSImage built = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
    assertThat(built.getStatus().getPhase())
        .as(String.valueOf(built.getStatus().getConditions()))
        .isEqualTo(Phase.Ready);
    assertThat(built.getStatus().getArchitectures())
        .extracting(ArchitectureStatus::getState)
        .containsExactly(BuildState.Succeeded);
    ImageIndex index =
        ImageIndex.parse(
            oci.repository(open.host() + "/" + ns + "/out")
                .manifestBytes(built.getStatus().getDigest()));
    assertThat(index.manifests()).hasSize(1);

    assertThat(pods).hasSize(1);
    Pod pod = pods.values().iterator().next();
    assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo(policy.image());
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getProjected() != null)
        .singleElement()
        .extracting(Volume::getProjected)
        .satisfies(
            p ->
                assertThat(p.getSources())
                    .extracting(s -> s.getSecret().getName())
                    .containsExactly("private-pull"));

    // The same plan built without the Secret mounted fails on the pull: the Secret is what made
    // the pod's pulls work, not credentials it found elsewhere.
    Path plan = tmp.resolve("plan.json");
    Files.writeString(plan, new ObjectMapper().writeValueAsString(planOf(ns, o)));
    Files.createDirectories(tmp.resolve("no-secrets"));
    Run without =
        lamina(
            "build",
            "--plan",
            plan.toString(),
            "--arch",
            "amd64",
            "--out",
            tmp.resolve("out-without").toString(),
            "--pull-secrets",
            tmp.resolve("no-secrets").toString());
    assertThat(without.exit()).as(without.stderr()).isEqualTo(1);
    assertThat(without.stderr()).contains("private-pull").contains("is not mounted");

    Path secrets = tmp.resolve("secrets");
    Files.createDirectories(secrets.resolve("private-pull"));
    Files.writeString(secrets.resolve("private-pull/config.json"), "{\"auths\":{}}");
    Run wrong =
        lamina(
            "build",
            "--plan",
            plan.toString(),
            "--arch",
            "amd64",
            "--out",
            tmp.resolve("out-wrong").toString(),
            "--pull-secrets",
            secrets.toString());
    assertThat(wrong.exit()).as(wrong.stderr()).isEqualTo(1);
    assertThat(wrong.stderr()).contains(locked.host());
    assertThat(tmp.resolve("out-wrong/amd64/initrd.img")).doesNotExist();

    Files.writeString(secrets.resolve("private-pull/config.json"), dockerConfigJson());
    Run with =
        lamina(
            "build",
            "--plan",
            plan.toString(),
            "--arch",
            "amd64",
            "--out",
            tmp.resolve("out-with").toString(),
            "--pull-secrets",
            secrets.toString());
    assertThat(with.exit()).as(with.stderr()).isZero();
  }

  void secret(String ns, String name, String dockerConfigJson) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .withData(
                    Map.of(
                        ".dockerconfigjson",
                        Base64.getEncoder().encodeToString(utf8(dockerConfigJson))))
                .build())
        .create();
  }

  BuildPlan planOf(String ns, OSImage o) {
    Map<String, Layer> resolved = new LinkedHashMap<>();
    for (String name : o.getSpec().layerNames()) {
      Layer l = client.resources(Layer.class).inNamespace(ns).withName(name).get();
      assertThat(Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY)).isTrue();
      resolved.put(name, l);
    }
    return PlanFactory.create(o, resolved);
  }

  Watch watchPods(String ns, Map<String, Pod> pods) {
    return client
        .pods()
        .inNamespace(ns)
        .watch(
            new Watcher<>() {
              @Override
              public void eventReceived(Action action, Pod pod) {
                if (action == Action.ADDED) {
                  pods.put(pod.getMetadata().getName(), pod);
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            });
  }

  record Run(int exit, String stderr) {}

  static Run lamina(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                System.getProperty("lamina.jar")));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    // No credentials from the environment: only what --pull-secrets holds.
    pb.environment().put("DOCKER_CONFIG", Files.createTempDirectory("no-docker").toString());
    Process p = pb.start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    p.getErrorStream().transferTo(err);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), err.toString(StandardCharsets.UTF_8));
  }
}

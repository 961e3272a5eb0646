package dev.lamina.build;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.OSImage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildPodFactoryTest {
  static OSImage image() {
    OSImage o = PlanFactoryTest.image("edge", "quiet", List.of(Architecture.amd64, Architecture.arm64));
    o.getMetadata().setUid("1234-uid");
    return o;
  }

  static BuildPlan plan(OSImage o) {
    return PlanFactory.create(o, PlanFactoryTest.layers());
  }

  @Test
  void podFollowsTheBuildPodContract() {
    OSImage o = image();
    BuildPlan plan = plan(o);
    String hex10 = plan.inputDigest().substring(7, 17);
    Pod pod = BuildPodFactory.pod(o, plan, Architecture.arm64, 1, "lamina:test");

    assertThat(pod.getMetadata().getName()).isEqualTo("edge-arm64-" + hex10);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("lamina.dev/osimage", "edge")
        .containsEntry("lamina.dev/arch", "arm64")
        .containsEntry("lamina.dev/input", plan.inputDigest().substring(7, 70));
    assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
      assertThat(r.getController()).isTrue();
      assertThat(r.getKind()).isEqualTo("OSImage");
      assertThat(r.getUid()).isEqualTo("1234-uid");
    });
    assertThat(pod.getSpec().getNodeSelector())
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("kubernetes.io/os", "linux", "kubernetes.io/arch", "arm64"));
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(1800L);
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("lamina:test");
    assertThat(c.getArgs()).containsExactly(
        "build", "--plan", "/etc/lamina/plan/plan.json", "--arch", "arm64", "--push", "--result", "/dev/termination-log");
    assertThat(c.getTerminationMessagePolicy()).isEqualTo("File");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactly("/etc/lamina/plan", "/tmp");
    assertThat(pod.getSpec().getVolumes().get(0).getConfigMap().getName()).isEqualTo("edge-plan-" + hex10);
    assertThat(c.getEnv()).isEmpty();
  }

  @Test
  void laterAttemptsAreNumberedAndDeadlineComesFromSpec() {
    OSImage o = image();
    BuildSpec b = new BuildSpec();
    b.setActiveDeadlineSeconds(120L);
    o.getSpec().setBuild(b);
    BuildPlan plan = plan(o);
    Pod pod = BuildPodFactory.pod(o, plan, Architecture.amd64, 3, "img");
    assertThat(pod.getMetadata().getName()).endsWith("-3").startsWith("edge-amd64-");
    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(120L);
  }

  @Test
  void pushSecretIsMountedAsDockerConfig() {
    OSImage o = image();
    o.getSpec().getOutput().setPushSecret("push-creds");
    Pod pod = BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img");
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getEnv()).singleElement().satisfies(e -> {
      assertThat(e.getName()).isEqualTo("DOCKER_CONFIG");
      assertThat(e.getValue()).isEqualTo("/etc/lamina/docker");
    });
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement().satisfies(v -> {
      assertThat(v.getSecret().getSecretName()).isEqualTo("push-creds");
      assertThat(v.getSecret().getItems().get(0).getPath()).isEqualTo("config.json");
    });
  }

  @Test
  void configMapHoldsThePlanThatReadsBackEqual() throws Exception {
    OSImage o = image();
    BuildPlan plan = plan(o);
    ConfigMap cm = BuildPodFactory.configMap(o, plan);
    BuildPlan back = new KubernetesSerialization().unmarshal(cm.getData().get("plan.json"), BuildPlan.class);
    assertThat(back).isEqualTo(plan);
    assertThat(cm.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(BuildPodFactory.configMap(o, plan)).isEqualTo(cm);
  }
}

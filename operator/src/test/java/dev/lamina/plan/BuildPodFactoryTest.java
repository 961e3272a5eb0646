package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.BuildLimits;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.OSImage;
import dev.lamina.api.OutputFormat;
import dev.lamina.assemble.UnionLimits;
import dev.lamina.cli.Main;
import dev.lamina.oci.RegistryTimeouts;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BuildPodFactoryTest {
  static OSImage image() {
    OSImage o =
        PlanFactoryTest.image("edge", "quiet", List.of(Architecture.amd64, Architecture.arm64));
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
    Pod pod = BuildPodFactory.pod(o, plan, Architecture.arm64, 1, "lamina:test", Set.of());

    assertThat(pod.getMetadata().getName()).isEqualTo("edge-arm64-" + hex10);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("lamina.dev/osimage", "edge")
        .containsEntry("lamina.dev/arch", "arm64")
        .containsEntry("lamina.dev/input", plan.inputDigest().substring(7, 70));
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getController()).isTrue();
              assertThat(r.getKind()).isEqualTo("OSImage");
              assertThat(r.getUid()).isEqualTo("1234-uid");
            });
    assertThat(pod.getSpec().getNodeSelector())
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of("kubernetes.io/os", "linux", "kubernetes.io/arch", "arm64"));
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(1800L);
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("lamina:test");
    assertThat(c.getArgs())
        .containsExactly(
            "build",
            "--plan",
            "/etc/lamina/plan/plan.json",
            "--arch",
            "arm64",
            "--push",
            "--result",
            "/dev/termination-log",
            "--pull-secrets",
            "/etc/lamina/pull");
    assertThat(c.getTerminationMessagePolicy()).isEqualTo("File");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory", "ephemeral-storage");
    assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory", "ephemeral-storage");
    assertThat(c.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .containsExactly("/etc/lamina/plan", "/tmp");
    assertThat(pod.getSpec().getVolumes().get(0).getConfigMap().getName())
        .isEqualTo("edge-plan-" + hex10);
    assertThat(c.getEnv()).extracting(EnvVar::getName).containsExactly("JAVA_TOOL_OPTIONS");
  }

  @Test
  void laterAttemptsAreNumberedAndDeadlineComesFromSpec() {
    OSImage o = image();
    BuildSpec b = new BuildSpec();
    b.setActiveDeadlineSeconds(120L);
    o.getSpec().setBuild(b);
    BuildPlan plan = plan(o);
    Pod pod = BuildPodFactory.pod(o, plan, Architecture.amd64, 3, "img", Set.of());
    assertThat(pod.getMetadata().getName()).endsWith("-3").startsWith("edge-amd64-");
    assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(120L);
  }

  @Test
  void memoryLimitComesFromSpecAndTheRequestNeverExceedsIt() {
    OSImage o = image();
    Pod usual = BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of());
    // Without spec.build.memoryLimit, the memory the build limits need (842Mi for the defaults).
    assertThat(usual.getSpec().getContainers().get(0).getResources().getLimits().get("memory"))
        .hasToString("842Mi");
    BuildSpec b = new BuildSpec();
    b.setMemoryLimit("64Mi");
    o.getSpec().setBuild(b);
    var resources =
        BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of())
            .getSpec()
            .getContainers()
            .get(0)
            .getResources();
    assertThat(resources.getLimits().get("memory")).hasToString("64Mi");
    assertThat(resources.getRequests().get("memory")).hasToString("64Mi");
    b.setMemoryLimit("4Gi");
    assertThat(
            BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of())
                .getSpec()
                .getContainers()
                .get(0)
                .getResources()
                .getRequests()
                .get("memory"))
        .hasToString("842Mi");
  }

  @Test
  void pushSecretIsMountedAsDockerConfig() {
    OSImage o = image();
    o.getSpec().getOutput().setPushSecret("push-creds");
    Pod pod = BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of());
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getEnv()).contains(new EnvVar("DOCKER_CONFIG", "/etc/lamina/docker", null));
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getSecret().getSecretName()).isEqualTo("push-creds");
              assertThat(v.getSecret().getItems().get(0).getPath()).isEqualTo("config.json");
            });
  }

  @Test
  void eachLayersPullSecretIsMountedReadOnlyUnderItsNameBesideThePushSecret() {
    OSImage o = image();
    o.getSpec().getOutput().setPushSecret("push-creds");
    var layers = new java.util.HashMap<>(PlanFactoryTest.layers());
    layers.get("kernel").getSpec().setPullSecret("kernel-pull");
    layers.get("base").getSpec().setPullSecret("base-pull");
    BuildPlan plan = PlanFactory.create(o, layers);
    Pod pod = BuildPodFactory.pod(o, plan, Architecture.amd64, 1, "img", Set.of());

    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getName() + "=" + v.getSecret().getSecretName())
        .containsExactly("docker-config=push-creds");
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> v.getProjected() != null)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getName()).isEqualTo("pull-secrets");
              assertThat(v.getProjected().getSources())
                  .extracting(
                      s ->
                          s.getSecret().getName()
                              + ":"
                              + s.getSecret().getItems().get(0).getKey()
                              + "->"
                              + s.getSecret().getItems().get(0).getPath())
                  .containsExactly(
                      "base-pull:.dockerconfigjson->base-pull/config.json",
                      "kernel-pull:.dockerconfigjson->kernel-pull/config.json");
            });
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getVolumeMounts())
        .filteredOn(m -> m.getName().equals("pull-secrets"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getReadOnly()).isTrue();
              assertThat(m.getMountPath()).isEqualTo("/etc/lamina/pull");
            });
    // The plan says which Secret each layer is pulled with; the pod finds it by that name.
    assertThat(plan.architectures().get("amd64").init())
        .extracting(BuildPlan.LayerRef::pullSecret)
        .containsExactly("base-pull");
    assertThat(plan.architectures().get("amd64").kernel().pullSecret()).isEqualTo("kernel-pull");
  }

  @Test
  void pullSecretsChangeNeitherTheInputDigestNorAPlanWithoutThem() throws Exception {
    OSImage o = image();
    var layers = new java.util.HashMap<>(PlanFactoryTest.layers());
    BuildPlan without = PlanFactory.create(o, layers);
    layers.get("base").getSpec().setPullSecret("base-pull");
    BuildPlan with = PlanFactory.create(o, layers);
    assertThat(with.inputDigest()).isEqualTo(without.inputDigest());
    String json = BuildPodFactory.configMap(o, without).getData().get("plan.json");
    assertThat(json).doesNotContain("pullSecret");
    String withJson = BuildPodFactory.configMap(o, with).getData().get("plan.json");
    assertThat(
            new com.fasterxml.jackson.databind.ObjectMapper().readValue(withJson, BuildPlan.class))
        .isEqualTo(with);
  }

  @Test
  void configMapHoldsThePlanThatReadsBackEqual() throws Exception {
    OSImage o = image();
    BuildPlan plan = plan(o);
    ConfigMap cm = BuildPodFactory.configMap(o, plan);
    BuildPlan back =
        new KubernetesSerialization().unmarshal(cm.getData().get("plan.json"), BuildPlan.class);
    assertThat(back).isEqualTo(plan);
    assertThat(cm.getMetadata().getOwnerReferences().get(0).getController()).isTrue();
    assertThat(BuildPodFactory.configMap(o, plan)).isEqualTo(cm);
  }

  @Test
  void operatorsInsecureRegistriesReachTheBuilderCommandLine() {
    OSImage o = image();
    Pod pod =
        BuildPodFactory.pod(
            o, plan(o), Architecture.amd64, 1, "img", Set.of("reg.lan:5000", "mirror.internal"));
    List<String> args = pod.getSpec().getContainers().get(0).getArgs();

    assertThat(args)
        .endsWith("--insecure-registry", "mirror.internal", "--insecure-registry", "reg.lan:5000");
    // The container's entry point is lamina: the args must parse as its build command does.
    CommandLine.ParseResult parsed =
        new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
    List<String> hosts = parsed.subcommand().matchedOptionValue("--insecure-registry", List.of());
    assertThat(hosts).containsExactly("mirror.internal", "reg.lan:5000");
  }

  @Test
  void operatorsRegistryTimeoutsReachTheBuilderCommandLine() {
    OSImage o = image();
    RegistryTimeouts timeouts =
        new RegistryTimeouts(
            Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMinutes(2), 1024);
    Pod pod = BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of(), timeouts);
    List<String> args = pod.getSpec().getContainers().get(0).getArgs();

    // The connect timeout is the default, so it is left out: default operators make the same pods.
    assertThat(args)
        .endsWith(
            "--registry-idle-timeout", "PT15S",
            "--registry-request-timeout", "PT2M",
            "--registry-min-rate", "1024");
    CommandLine.ParseResult parsed =
        new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
    var build = parsed.subcommand();
    assertThat(
            new RegistryTimeouts(
                build.matchedOptionValue("--registry-connect-timeout", Duration.ofSeconds(30)),
                build.matchedOptionValue("--registry-idle-timeout", null),
                build.matchedOptionValue("--registry-request-timeout", null),
                build.matchedOptionValue("--registry-min-rate", 0L)))
        .isEqualTo(timeouts);
    assertThat(
            BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "img", Set.of())
                .getSpec()
                .getContainers()
                .get(0)
                .getArgs())
        .noneMatch(a -> a.startsWith("--registry-"));
  }

  static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  @Test
  void longOSImageNamesGiveValidLabelValuesPodNamesAndConfigMapNames() {
    // 253 characters, the longest OSImage name; a dot right where the short form cuts it.
    String name = "a".repeat(51) + "." + "b".repeat(201);
    assertThat(name).hasSize(253).matches(DNS_SUBDOMAIN);
    OSImage o = image();
    o.getMetadata().setName(name);
    BuildPlan plan = plan(o);

    Pod pod = BuildPodFactory.pod(o, plan, Architecture.arm64, 12, "img", Set.of());
    ConfigMap cm = BuildPodFactory.configMap(o, plan);

    String label = pod.getMetadata().getLabels().get(BuildPodFactory.LABEL_OSIMAGE);
    assertThat(label)
        .hasSizeLessThanOrEqualTo(63)
        .matches(LABEL_VALUE)
        .startsWith("a".repeat(51) + "-");
    assertThat(cm.getMetadata().getLabels()).containsEntry(BuildPodFactory.LABEL_OSIMAGE, label);
    assertThat(pod.getMetadata().getLabels().values())
        .allSatisfy(v -> assertThat(v).hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE));
    assertThat(pod.getMetadata().getName())
        .isEqualTo(label + "-arm64-" + plan.inputDigest().substring(7, 17) + "-12")
        .hasSizeLessThanOrEqualTo(253)
        .matches(DNS_SUBDOMAIN);
    assertThat(cm.getMetadata().getName()).hasSizeLessThanOrEqualTo(253).matches(DNS_SUBDOMAIN);
    assertThat(pod.getSpec().getVolumes().get(0).getConfigMap().getName())
        .isEqualTo(cm.getMetadata().getName());
  }

  @Test
  void shortNameIsTheNameUpTo63CharactersAndDistinctDeterministicBeyond() {
    String fits = "x".repeat(63);
    String longer = "x".repeat(64);
    String other = "x".repeat(63) + "y";
    assertThat(BuildPodFactory.shortName("edge")).isEqualTo("edge");
    assertThat(BuildPodFactory.shortName(fits)).isEqualTo(fits);
    assertThat(BuildPodFactory.shortName(longer))
        .hasSize(63)
        .isNotEqualTo(fits)
        .isEqualTo(BuildPodFactory.shortName("x".repeat(64)))
        .isNotEqualTo(BuildPodFactory.shortName(other));
    assertThat(BuildPodFactory.shortName("x".repeat(51) + "--" + "z".repeat(20)))
        .matches("x{51}-[0-9a-f]{10}");
  }

  @Test
  void defaultLimitsGiveMemoryForTheHeapAndStorageForSpoolAndInitrd() {
    OSImage o = image();
    Pod pod = BuildPodFactory.pod(o, plan(o), Architecture.amd64, 1, "lamina:test", Set.of());
    Container c = pod.getSpec().getContainers().get(0);

    // Heap 192Mi + 300,000 entries x 1.5 KiB = 631.5Mi, at 75% of the container: 842Mi.
    // Disk 4Gi spool + 4Gi initrd + 300,000 x 2 KiB headers + 256Mi slack: 9034Mi.
    assertThat(c.getResources().getLimits())
        .containsEntry("cpu", new Quantity("2"))
        .containsEntry("memory", new Quantity("842Mi"))
        .containsEntry("ephemeral-storage", new Quantity("9034Mi"));
    assertThat(c.getResources().getRequests())
        .containsEntry("cpu", new Quantity("250m"))
        .containsEntry("memory", new Quantity("842Mi"))
        .containsEntry("ephemeral-storage", new Quantity("9034Mi"));
    assertThat(c.getEnv())
        .contains(new EnvVar("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75", null));
  }

  @Test
  void specLimitsAndARootfsChangeTheResources() {
    OSImage o = image();
    BuildLimits limits = new BuildLimits();
    limits.setMaxUncompressedBytes(new Quantity("1Gi"));
    limits.setMaxEntries(10_000L);
    o.getSpec().setBuild(new BuildSpec());
    o.getSpec().getBuild().setLimits(limits);
    o.getSpec().setFormats(List.of(OutputFormat.KERNEL_INITRD, OutputFormat.ROOTFS_TAR));
    BuildPlan plan = PlanFactory.create(o, PlanFactoryTest.layers());
    Container c =
        BuildPodFactory.pod(o, plan, Architecture.amd64, 1, "lamina:test", Set.of())
            .getSpec()
            .getContainers()
            .get(0);

    // Heap 192Mi + 10,000 x 1.5 KiB; disk 3 x 1Gi + 2 x 10,000 x 2 KiB + 256Mi.
    assertThat(c.getResources().getLimits())
        .containsEntry("memory", new Quantity("276Mi"))
        .containsEntry("ephemeral-storage", new Quantity("3368Mi"));
  }

  @Test
  void operatorMaximumLowersTheLimitsThePodIsSizedFor() {
    OSImage o = image();
    BuildLimits limits = new BuildLimits();
    limits.setMaxUncompressedBytes(new Quantity("1Ti"));
    o.getSpec().setBuild(new BuildSpec());
    o.getSpec().getBuild().setLimits(limits);
    BuildPlan plan =
        PlanFactory.create(o, PlanFactoryTest.layers(), new UnionLimits(1L << 30, 10_000));
    Container c =
        BuildPodFactory.pod(o, plan, Architecture.amd64, 1, "lamina:test", Set.of())
            .getSpec()
            .getContainers()
            .get(0);

    // 2 x 1Gi + 10,000 x 2 KiB + 256Mi.
    assertThat(c.getResources().getLimits())
        .containsEntry("ephemeral-storage", new Quantity("2324Mi"));
  }
}

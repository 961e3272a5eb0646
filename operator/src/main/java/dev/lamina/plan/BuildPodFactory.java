package dev.lamina.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.oci.RegistryTimeouts;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Builds the plan ConfigMap and the per-architecture build pods of an OSImage, following the build
 * pod contract in DESIGN.md. Pure: the same inputs give the same objects.
 */
public final class BuildPodFactory {
  public static final String LABEL_OSIMAGE = "lamina.dev/osimage";
  public static final String LABEL_ARCH = "lamina.dev/arch";
  public static final String LABEL_INPUT = "lamina.dev/input";

  /** The well-known node label a build pod's nodeSelector pins its architecture with. */
  public static final String NODE_ARCH_LABEL = "kubernetes.io/arch";

  public static final String PLAN_DIR = "/etc/lamina/plan";
  public static final String PLAN_FILE = "plan.json";
  public static final String DOCKER_CONFIG_DIR = "/etc/lamina/docker";
  public static final String PULL_SECRETS_DIR = "/etc/lamina/pull";
  public static final String PULL_SECRETS_VOLUME = "pull-secrets";
  public static final String TERMINATION_LOG = "/dev/termination-log";

  private static final int MAX_LABEL_VALUE = 63;

  /** The builder runs as this user: any non-root uid works, it writes only to /tmp. */
  static final long BUILD_UID = 65532;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .configure(SerializationFeature.INDENT_OUTPUT, true);

  private BuildPodFactory() {}

  /** The first 10 hex digits of an input digest, as pod and ConfigMap names carry them. */
  public static String shortDigest(String inputDigest) {
    return hex(inputDigest).substring(0, 10);
  }

  /** The value of the lamina.dev/input label: as much of the hex digest as a label value holds. */
  public static String inputLabel(String inputDigest) {
    return hex(inputDigest).substring(0, 63);
  }

  /**
   * The OSImage's name as a label value and as the start of pod and ConfigMap names: the name
   * itself when it fits a label value (63 characters), else its first characters and 10 hex digits
   * of its sha256, so distinct long names stay distinct.
   */
  public static String shortName(String osImage) {
    if (osImage.length() <= MAX_LABEL_VALUE) {
      return osImage;
    }
    String prefix = osImage.substring(0, MAX_LABEL_VALUE - 11);
    // A name may hold dots; each dot-separated part of a pod name must end in a letter or digit.
    prefix = prefix.replaceAll("[-.]+$", "");
    String hash = HexFormat.of().formatHex(sha256(osImage.getBytes(StandardCharsets.UTF_8)));
    return prefix + "-" + hash.substring(0, 10);
  }

  /** {@code <osimage>-<arch>-<10 hex>[-<attempt>]}; the first attempt carries no suffix. */
  public static String podName(String osImage, Architecture arch, String inputDigest, int attempt) {
    String base = shortName(osImage) + "-" + arch.name() + "-" + shortDigest(inputDigest);
    return attempt <= 1 ? base : base + "-" + attempt;
  }

  public static String configMapName(String osImage, String inputDigest) {
    return shortName(osImage) + "-plan-" + shortDigest(inputDigest);
  }

  /** The ConfigMap holding the plan as JSON, owned by the OSImage. */
  public static ConfigMap configMap(OSImage image, BuildPlan plan) {
    String json;
    try {
      json = JSON.writeValueAsString(plan);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(configMapName(image.getMetadata().getName(), plan.inputDigest()))
        .withNamespace(image.getMetadata().getNamespace())
        .withLabels(labels(image, null, plan.inputDigest()))
        .withOwnerReferences(owner(image))
        .endMetadata()
        .withData(Map.of(PLAN_FILE, json))
        .build();
  }

  /**
   * The build pod of one architecture and attempt.
   *
   * @param builderImage the operator's own image, whose entry point is {@code lamina}
   * @param insecureRegistries registries the operator reaches over plain HTTP; the pod must too
   */
  public static Pod pod(
      OSImage image,
      BuildPlan plan,
      Architecture arch,
      int attempt,
      String builderImage,
      Collection<String> insecureRegistries) {
    return pod(
        image, plan, arch, attempt, builderImage, insecureRegistries, RegistryTimeouts.DEFAULTS);
  }

  /**
   * The build pod of one architecture and attempt, talking to registries within {@code timeouts}
   * (the operator's own, so a slow registry is given up on alike in the operator and in the pod).
   */
  public static Pod pod(
      OSImage image,
      BuildPlan plan,
      Architecture arch,
      int attempt,
      String builderImage,
      Collection<String> insecureRegistries,
      RegistryTimeouts timeouts) {
    String name = image.getMetadata().getName();
    String pushSecret =
        image.getSpec().getOutput() == null ? null : image.getSpec().getOutput().getPushSecret();
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    List<EnvVar> env = new ArrayList<>();
    // The JVM's default heap is a quarter of the container's memory;
    // BuildPodResources.memoryBytes() assumes this.
    env.add(
        new EnvVar(
            "JAVA_TOOL_OPTIONS",
            "-XX:MaxRAMPercentage=" + BuildPodResources.MAX_RAM_PERCENTAGE,
            null));
    volumes.add(
        new VolumeBuilder()
            .withName("plan")
            .withNewConfigMap()
            .withName(configMapName(name, plan.inputDigest()))
            .endConfigMap()
            .build());
    mounts.add(mount("plan", PLAN_DIR));
    // The root filesystem is read-only; the builder spools blobs in /tmp.
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    mounts.add(mount("tmp", "/tmp"));
    if (pushSecret != null && !pushSecret.isEmpty()) {
      volumes.add(dockerConfigVolume("docker-config", pushSecret));
      mounts.add(mount("docker-config", DOCKER_CONFIG_DIR));
      env.add(new EnvVar("DOCKER_CONFIG", DOCKER_CONFIG_DIR, null));
    }
    // One volume, a directory per pull Secret named as the Secret: that name is how a layer entry
    // of the plan finds its credentials. The push Secret above is used only to push.
    List<String> pullSecrets = pullSecrets(plan, arch);
    if (!pullSecrets.isEmpty()) {
      volumes.add(pullSecretsVolume(pullSecrets));
      mounts.add(mount(PULL_SECRETS_VOLUME, PULL_SECRETS_DIR));
    }
    return new PodBuilder()
        .withNewMetadata()
        .withName(podName(name, arch, plan.inputDigest(), attempt))
        .withNamespace(image.getMetadata().getNamespace())
        .withLabels(labels(image, arch, plan.inputDigest()))
        .withOwnerReferences(owner(image))
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withActiveDeadlineSeconds(effectiveDeadline(image))
        .withNodeSelector(Map.of("kubernetes.io/os", "linux", NODE_ARCH_LABEL, arch.name()))
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(BUILD_UID)
        .withRunAsGroup(BUILD_UID)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withVolumes(volumes)
        .withContainers(
            new ContainerBuilder()
                .withName("build")
                .withImage(builderImage)
                .withArgs(args(arch, insecureRegistries, timeouts))
                .withEnv(env)
                .withVolumeMounts(mounts)
                .withTerminationMessagePath(TERMINATION_LOG)
                .withTerminationMessagePolicy("File")
                .withResources(
                    BuildPodResources.resources(
                        plan,
                        image.getSpec().getBuild() == null
                            ? null
                            : image.getSpec().getBuild().getMemoryLimit()))
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .build())
        .endSpec()
        .build();
  }

  /** The distinct pull Secrets of the layers one architecture uses, sorted. */
  public static List<String> pullSecrets(BuildPlan plan, Architecture arch) {
    BuildPlan.ArchPlan ap = plan.architectures().get(arch.name());
    TreeSet<String> names = new TreeSet<>();
    if (ap != null) {
      List<BuildPlan.LayerRef> refs = new ArrayList<>(ap.init());
      if (ap.kernel() != null) {
        refs.add(ap.kernel());
      }
      refs.stream().map(BuildPlan.LayerRef::pullSecret).filter(s -> s != null).forEach(names::add);
    }
    return List.copyOf(names);
  }

  /** Each Secret's .dockerconfigjson key as NAME/config.json; nothing else of the Secrets. */
  private static Volume pullSecretsVolume(List<String> secrets) {
    List<VolumeProjection> sources = new ArrayList<>();
    for (String secret : secrets) {
      sources.add(
          new VolumeProjectionBuilder()
              .withNewSecret()
              .withName(secret)
              .addNewItem()
              .withKey(".dockerconfigjson")
              .withPath(secret + "/config.json")
              .endItem()
              .endSecret()
              .build());
    }
    return new VolumeBuilder()
        .withName(PULL_SECRETS_VOLUME)
        .withNewProjected()
        .withSources(sources)
        .endProjected()
        .build();
  }

  /** Only the .dockerconfigjson key, as config.json: nothing else of the Secret. */
  private static Volume dockerConfigVolume(String name, String secret) {
    return new VolumeBuilder()
        .withName(name)
        .withNewSecret()
        .withSecretName(secret)
        .addNewItem()
        .withKey(".dockerconfigjson")
        .withPath("config.json")
        .endItem()
        .endSecret()
        .build();
  }

  private static List<String> args(
      Architecture arch, Collection<String> insecureRegistries, RegistryTimeouts timeouts) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "build",
                "--plan",
                PLAN_DIR + "/" + PLAN_FILE,
                "--arch",
                arch.name(),
                "--push",
                "--result",
                TERMINATION_LOG,
                // Always: a layer without a pull Secret is then pulled anonymously, as the
                // operator resolved it, never with the push Secret.
                "--pull-secrets",
                PULL_SECRETS_DIR));
    // Sorted: the operator holds them in a set, and the same inputs must give the same pod.
    for (String host : new TreeSet<>(insecureRegistries)) {
      args.add("--insecure-registry");
      args.add(host);
    }
    // Only those that differ from the defaults, so a default operator makes the pods it always did.
    RegistryTimeouts d = RegistryTimeouts.DEFAULTS;
    timeoutArg(args, "--registry-connect-timeout", timeouts.connect(), d.connect());
    timeoutArg(args, "--registry-idle-timeout", timeouts.idle(), d.idle());
    timeoutArg(args, "--registry-request-timeout", timeouts.request(), d.request());
    if (timeouts.minBytesPerSecond() != d.minBytesPerSecond()) {
      args.add("--registry-min-rate");
      args.add(Long.toString(timeouts.minBytesPerSecond()));
    }
    return args;
  }

  private static void timeoutArg(List<String> args, String option, Duration value, Duration def) {
    if (!value.equals(def)) {
      args.add(option);
      args.add(value.toString());
    }
  }

  private static long effectiveDeadline(OSImage image) {
    return image.getSpec().getBuild() == null
        ? 1800L
        : image.getSpec().getBuild().effectiveActiveDeadlineSeconds();
  }

  private static Map<String, String> labels(OSImage image, Architecture arch, String inputDigest) {
    String name = shortName(image.getMetadata().getName());
    return arch == null
        ? Map.of(LABEL_OSIMAGE, name, LABEL_INPUT, inputLabel(inputDigest))
        : Map.of(
            LABEL_OSIMAGE, name, LABEL_ARCH, arch.name(), LABEL_INPUT, inputLabel(inputDigest));
  }

  private static OwnerReference owner(OSImage image) {
    return new OwnerReferenceBuilder()
        .withApiVersion(image.getApiVersion())
        .withKind(image.getKind())
        .withName(image.getMetadata().getName())
        .withUid(image.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  private static VolumeMount mount(String name, String path) {
    VolumeMount m = new VolumeMount();
    m.setName(name);
    m.setMountPath(path);
    m.setReadOnly(!"/tmp".equals(path));
    return m;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(String digest) {
    return digest.substring(digest.indexOf(':') + 1);
  }
}

package dev.lamina.local;

import dev.lamina.files.Trees;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for the kubelet, for tests of the operator that need no container runtime: it keeps
 * them fast and runs wherever the control plane runs. It lives in the test sources only; real
 * kubelets (hack/cluster-up.sh) run the build pods of the end-to-end tests and of users. It
 * registers one Node per architecture, {@code local-<arch>}, keeps their Leases renewed, and runs
 * each pod the real scheduler binds to one of them as a local process. It knows nothing of Lamina
 * beyond one assumption: the image of every container is {@code lamina.jar}, so a container is run
 * as {@code java -jar <jar> <args>}. ConfigMap, Secret and emptyDir volumes are written to a
 * temporary directory, and arguments and environment values that name a mount path (or the
 * termination message path) are rewritten to the matching place in that directory.
 */
public final class LocalNodeAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalNodeAgent.class);
  private static final String FIELD_MANAGER = "lamina-local-node";
  private static final String LEASE_NAMESPACE = "kube-node-lease";
  private static final int LEASE_SECONDS = 40;

  private final KubernetesClient client;
  private final List<String> architectures;
  private final Path jar;
  private final Path workDir;
  private final ScheduledExecutorService heartbeat =
      Executors.newSingleThreadScheduledExecutor(daemon("lamina-node-heartbeat"));
  private final ExecutorService runners = Executors.newCachedThreadPool(daemon("lamina-node-pod"));
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final List<SharedIndexInformer<Pod>> informers = new ArrayList<>();

  /** A pod's process, and whether the pod was deleted while it ran. */
  private static final class Running {
    volatile Process process;
    volatile boolean deleted;
  }

  /**
   * @param architectures kubernetes.io/arch values, one Node each
   * @param jar the jar every container runs
   * @param workDir where pod directories are made
   */
  public LocalNodeAgent(
      KubernetesClient client, List<String> architectures, Path jar, Path workDir) {
    this.client = client;
    this.architectures = List.copyOf(architectures);
    this.jar = jar.toAbsolutePath();
    this.workDir = workDir;
  }

  public static String nodeName(String arch) {
    return "local-" + arch;
  }

  public void start() throws IOException {
    Files.createDirectories(workDir);
    for (String arch : architectures) {
      register(arch);
      renewLease(arch);
    }
    heartbeat.scheduleWithFixedDelay(this::heartbeat, 10, 10, TimeUnit.SECONDS);
    for (String arch : architectures) {
      String node = nodeName(arch);
      informers.add(
          client.pods().inAnyNamespace().withField("spec.nodeName", node).inform(handler(), 0));
    }
    LOG.info(
        "local nodes {} ready, running {}",
        architectures.stream().map(LocalNodeAgent::nodeName).toList(),
        jar);
  }

  /** Stops watching, kills running pods' processes and removes this agent's Nodes. */
  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
    heartbeat.shutdownNow();
    for (Running r : running.values()) {
      if (r.process != null) {
        r.process.destroyForcibly();
      }
    }
    runners.shutdownNow();
    for (String arch : architectures) {
      try {
        client.nodes().withName(nodeName(arch)).delete();
        client.leases().inNamespace(LEASE_NAMESPACE).withName(nodeName(arch)).delete();
      } catch (KubernetesClientException e) {
        LOG.warn("could not remove node {}: {}", nodeName(arch), e.getMessage());
      }
    }
  }

  private ResourceEventHandler<Pod> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        handle(pod);
      }

      @Override
      public void onUpdate(Pod old, Pod pod) {
        handle(pod);
      }

      @Override
      public void onDelete(Pod pod, boolean unknown) {
        Running r = running.remove(pod.getMetadata().getUid());
        if (r != null && r.process != null) {
          r.deleted = true;
          r.process.destroyForcibly();
        }
      }
    };
  }

  private void handle(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      Running r = running.get(uid);
      if (r != null) {
        r.deleted = true;
        if (r.process != null) {
          r.process.destroyForcibly();
        }
      }
      // A kubelet confirms a deletion once the containers are gone; so does this agent.
      runners.execute(() -> forceDelete(pod));
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (phase != null && !"Pending".equals(phase)) {
      return;
    }
    Running r = new Running();
    if (running.putIfAbsent(uid, r) == null) {
      runners.execute(() -> run(pod, r));
    }
  }

  private void forceDelete(Pod pod) {
    try {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .withGracePeriod(0)
          .delete();
    } catch (KubernetesClientException e) {
      LOG.debug("deleting {}: {}", pod.getMetadata().getName(), e.getMessage());
    }
  }

  private void run(Pod pod, Running r) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    Path dir = workDir.resolve(ns + "_" + name + "_" + pod.getMetadata().getUid());
    Instant started = Instant.now();
    try {
      Container container = pod.getSpec().getContainers().get(0);
      if (pod.getSpec().getContainers().size() != 1
          || container.getCommand() != null && !container.getCommand().isEmpty()) {
        finish(
            pod,
            started,
            128,
            "UnsupportedPod",
            "the local node runs one container with the image's entry point only",
            null);
        return;
      }
      Map<String, Path> mounts = mountVolumes(pod, container, dir);
      String terminationPath =
          container.getTerminationMessagePath() == null
              ? "/dev/termination-log"
              : container.getTerminationMessagePath();
      Path termination = dir.resolve("termination-log");
      Files.createDirectories(dir);
      Files.write(termination, new byte[0]);
      Map<String, Path> paths = new LinkedHashMap<>(mounts);
      paths.put(terminationPath, termination);

      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      Path tmp = mounts.get("/tmp");
      command.add("-Djava.io.tmpdir=" + (tmp != null ? tmp : dir.resolve("tmp")));
      Quantity memory =
          container.getResources() == null || container.getResources().getLimits() == null
              ? null
              : container.getResources().getLimits().get("memory");
      if (memory != null) {
        // What a container's cgroup limit tells the JVM.
        command.add("-XX:MaxRAM=" + Quantity.getAmountInBytes(memory).longValue());
      }
      command.add("-jar");
      command.add(jar.toString());
      for (String arg : container.getArgs() == null ? List.<String>of() : container.getArgs()) {
        command.add(rewrite(arg, paths));
      }
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
      Map<String, String> env = pb.environment();
      String path = env.get("PATH");
      env.clear();
      env.put("PATH", path == null ? "/usr/bin:/bin" : path);
      env.put("HOME", dir.toString());
      for (EnvVar e : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
        if (e.getValue() != null) {
          env.put(e.getName(), rewrite(e.getValue(), paths));
        }
      }
      Path log = dir.resolve("container.log");
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
      if (r.deleted) {
        return;
      }
      r.process = pb.start();
      markRunning(pod, started);
      Long deadline = pod.getSpec().getActiveDeadlineSeconds();
      boolean exited =
          deadline == null
              ? waitFor(r.process, Long.MAX_VALUE)
              : waitFor(
                  r.process,
                  Math.max(
                      0,
                      started.plusSeconds(deadline).toEpochMilli() - System.currentTimeMillis()));
      if (!exited) {
        r.process.destroyForcibly().waitFor();
        LOG.info("pod {}/{} passed its active deadline", ns, name);
        finish(
            pod,
            started,
            137,
            "DeadlineExceeded",
            "Pod was active on the node longer than the specified deadline",
            null);
        return;
      }
      int code = r.process.exitValue();
      if (r.deleted) {
        return;
      }
      String message = read(termination);
      if (code != 0) {
        LOG.warn("pod {}/{} exited with {}; its output ends:\n{}", ns, name, code, tail(log));
      }
      finish(pod, started, code, null, null, message);
    } catch (Exception e) {
      LOG.warn("running pod {}/{} failed: {}", ns, name, e.toString());
      if (!r.deleted) {
        finish(pod, started, 128, "LocalNodeError", e.getMessage(), null);
      }
    } finally {
      Trees.deleteQuietly(dir);
    }
  }

  private Map<String, byte[]> secretData(String ns, String name) throws IOException {
    Secret s = client.secrets().inNamespace(ns).withName(name).get();
    if (s == null) {
      throw new IOException("Secret " + name + " does not exist");
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
    }
    return data;
  }

  /** Writes each volume into {@code dir}; returns the container's mount paths mapped there. */
  private Map<String, Path> mountVolumes(Pod pod, Container container, Path dir)
      throws IOException {
    String ns = pod.getMetadata().getNamespace();
    Map<String, Path> volumes = new LinkedHashMap<>();
    for (Volume v :
        pod.getSpec().getVolumes() == null ? List.<Volume>of() : pod.getSpec().getVolumes()) {
      Path target = dir.resolve("volumes").resolve(v.getName());
      Files.createDirectories(target);
      if (v.getConfigMap() != null) {
        ConfigMap cm =
            client.configMaps().inNamespace(ns).withName(v.getConfigMap().getName()).get();
        if (cm == null) {
          throw new IOException("ConfigMap " + v.getConfigMap().getName() + " does not exist");
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (cm.getData() != null) {
          cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
        }
        if (cm.getBinaryData() != null) {
          cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
        }
        writeItems(target, data, v.getConfigMap().getItems());
      } else if (v.getSecret() != null) {
        writeItems(target, secretData(ns, v.getSecret().getSecretName()), v.getSecret().getItems());
      } else if (v.getProjected() != null) {
        for (VolumeProjection source : v.getProjected().getSources()) {
          if (source.getSecret() == null) {
            throw new IOException(
                "volume "
                    + v.getName()
                    + ": only secret sources of projected volumes are supported");
          }
          writeItems(
              target, secretData(ns, source.getSecret().getName()), source.getSecret().getItems());
        }
      } else if (v.getEmptyDir() == null) {
        throw new IOException(
            "volume "
                + v.getName()
                + ": only configMap, secret, projected secret and emptyDir volumes are supported");
      }
      volumes.put(v.getName(), target);
    }
    Map<String, Path> mounts = new LinkedHashMap<>();
    for (VolumeMount m :
        container.getVolumeMounts() == null
            ? List.<VolumeMount>of()
            : container.getVolumeMounts()) {
      Path base = volumes.get(m.getName());
      if (base == null) {
        throw new IOException("mount of unknown volume " + m.getName());
      }
      mounts.put(
          m.getMountPath(),
          m.getSubPath() == null || m.getSubPath().isEmpty() ? base : base.resolve(m.getSubPath()));
    }
    return mounts;
  }

  private static void writeItems(Path target, Map<String, byte[]> data, List<KeyToPath> items)
      throws IOException {
    if (items == null || items.isEmpty()) {
      for (Map.Entry<String, byte[]> e : data.entrySet()) {
        Files.write(target.resolve(e.getKey()), e.getValue());
      }
      return;
    }
    for (KeyToPath item : items) {
      byte[] bytes = data.get(item.getKey());
      if (bytes == null) {
        throw new IOException("key " + item.getKey() + " is missing");
      }
      Path file = target.resolve(item.getPath()).normalize();
      if (!file.startsWith(target)) {
        throw new IOException("item path " + item.getPath() + " leaves the volume");
      }
      Files.createDirectories(file.getParent());
      Files.write(file, bytes);
    }
  }

  /** Maps a value naming a path inside the container to the same place on this machine. */
  static String rewrite(String value, Map<String, Path> paths) {
    String best = null;
    for (String p : paths.keySet()) {
      if ((value.equals(p) || value.startsWith(p.endsWith("/") ? p : p + "/"))
          && (best == null || p.length() > best.length())) {
        best = p;
      }
    }
    return best == null ? value : paths.get(best) + value.substring(best.length());
  }

  private void markRunning(Pod pod, Instant started) {
    String now = started.truncatedTo(ChronoUnit.SECONDS).toString();
    editStatus(
        pod,
        p -> {
          p.getStatus().setPhase("Running");
          p.getStatus().setStartTime(now);
          p.getStatus().setHostIP("127.0.0.1");
          p.getStatus().setPodIP("127.0.0.1");
          p.getStatus().setConditions(conditions(p, true, now));
          p.getStatus()
              .setContainerStatuses(
                  List.of(
                      containerStatus(pod, true)
                          .withState(
                              new ContainerStateBuilder()
                                  .withNewRunning()
                                  .withStartedAt(now)
                                  .endRunning()
                                  .build())
                          .build()));
        });
  }

  private void finish(
      Pod pod, Instant started, int exitCode, String podReason, String podMessage, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String startedAt = started.truncatedTo(ChronoUnit.SECONDS).toString();
    editStatus(
        pod,
        p -> {
          p.getStatus().setPhase(exitCode == 0 && podReason == null ? "Succeeded" : "Failed");
          p.getStatus().setReason(podReason);
          p.getStatus().setMessage(podMessage);
          if (p.getStatus().getStartTime() == null) {
            p.getStatus().setStartTime(startedAt);
          }
          p.getStatus().setConditions(conditions(p, false, now));
          p.getStatus()
              .setContainerStatuses(
                  List.of(
                      containerStatus(pod, false)
                          .withState(
                              new ContainerStateBuilder()
                                  .withNewTerminated()
                                  .withExitCode(exitCode)
                                  .withReason(exitCode == 0 ? "Completed" : "Error")
                                  .withMessage(
                                      message == null || message.isEmpty() ? null : message)
                                  .withStartedAt(startedAt)
                                  .withFinishedAt(now)
                                  .endTerminated()
                                  .build())
                          .build()));
        });
  }

  private static ContainerStatusBuilder containerStatus(Pod pod, boolean ready) {
    Container c = pod.getSpec().getContainers().get(0);
    return new ContainerStatusBuilder()
        .withName(c.getName())
        .withImage(c.getImage())
        .withImageID("")
        .withReady(ready)
        .withStarted(ready)
        .withRestartCount(0);
  }

  private static List<PodCondition> conditions(Pod pod, boolean ready, String now) {
    List<PodCondition> list = new ArrayList<>();
    for (PodCondition c :
        pod.getStatus().getConditions() == null
            ? List.<PodCondition>of()
            : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())) {
        list.add(c);
      }
    }
    list.add(condition("Initialized", "True", null, now));
    list.add(
        condition("ContainersReady", ready ? "True" : "False", ready ? null : "PodCompleted", now));
    list.add(condition("Ready", ready ? "True" : "False", ready ? null : "PodCompleted", now));
    return list;
  }

  private static PodCondition condition(String type, String status, String reason, String now) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withLastTransitionTime(now)
        .build();
  }

  private void editStatus(Pod pod, java.util.function.Consumer<Pod> change) {
    try {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .editStatus(
              p -> {
                if (p.getStatus() == null) {
                  p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                }
                change.accept(p);
                return p;
              });
    } catch (KubernetesClientException e) {
      LOG.warn(
          "could not write the status of pod {}: {}", pod.getMetadata().getName(), e.getMessage());
    }
  }

  private void register(String arch) {
    String name = nodeName(arch);
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(
                Map.of(
                    "kubernetes.io/os",
                    "linux",
                    "kubernetes.io/arch",
                    arch,
                    "kubernetes.io/hostname",
                    name))
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    client.nodes().resource(node).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    writeNodeStatus(arch);
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(workDir).getUsableSpace();
    } catch (IOException e) {
      return 0;
    }
  }

  private void writeNodeStatus(String arch) {
    String name = nodeName(arch);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Quantity> resources =
        Map.of(
            "cpu", new Quantity(String.valueOf(Runtime.getRuntime().availableProcessors())),
            "memory", new Quantity("8Gi"),
            // Build pods request ephemeral storage; a node that reports none fits none of them.
            "ephemeral-storage", new Quantity(String.valueOf(usableSpace())),
            "pods", new Quantity("32"));
    Node status =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewStatus()
            .withCapacity(resources)
            .withAllocatable(resources)
            .addNewCondition()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("local node agent is posting ready status")
            .withLastHeartbeatTime(now)
            .withLastTransitionTime(now)
            .endCondition()
            .withNewNodeInfo()
            .withArchitecture(arch)
            .withOperatingSystem("linux")
            .withKubeletVersion("v0.0.0-lamina-local")
            .withKubeProxyVersion("")
            .withContainerRuntimeVersion("local-process://java")
            .withKernelVersion(System.getProperty("os.version"))
            .withOsImage("local")
            .withMachineID(name)
            .withSystemUUID(name)
            .withBootID(name)
            .endNodeInfo()
            .endStatus()
            .build();
    client
        .nodes()
        .resource(status)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(FIELD_MANAGER)
                .withForce(true)
                .build(),
            status);
  }

  private void renewLease(String arch) {
    String name = nodeName(arch);
    Node node = client.nodes().withName(name).get();
    Lease lease =
        new LeaseBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(LEASE_NAMESPACE)
            .addNewOwnerReference()
            .withApiVersion("v1")
            .withKind("Node")
            .withName(name)
            .withUid(node == null ? null : node.getMetadata().getUid())
            .endOwnerReference()
            .endMetadata()
            .withNewSpec()
            .withHolderIdentity(name)
            .withLeaseDurationSeconds(LEASE_SECONDS)
            .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
            .endSpec()
            .build();
    client
        .leases()
        .inNamespace(LEASE_NAMESPACE)
        .resource(lease)
        .fieldManager(FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
  }

  private int beats;

  private void heartbeat() {
    beats++;
    for (String arch : architectures) {
      try {
        renewLease(arch);
        if (beats % 6 == 0) {
          writeNodeStatus(arch);
        }
      } catch (RuntimeException e) {
        LOG.warn("heartbeat of {} failed: {}", nodeName(arch), e.getMessage());
      }
    }
  }

  private static boolean waitFor(Process p, long millis) throws InterruptedException {
    return p.waitFor(millis, TimeUnit.MILLISECONDS);
  }

  private static String read(Path file) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(4096);
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}

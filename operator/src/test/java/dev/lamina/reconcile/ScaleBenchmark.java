package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.PlanFactory;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestRegistry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Not a test: a measurement. 500 OSImages over 5 shared Layers, every one already built (its index
 * tagged with its input digest in the registry), against {@code lamina.jar operator} run as its own
 * process as deployed (the JVM options of deploy/base/operator.yaml, and the 384 MB heap its 512Mi
 * memory limit gives). Reports the time until all are Ready, the operator's heap (peak sampled from
 * its /metrics, and live after a full GC) and the apiserver's request count
 * (apiserver_request_total) during the run. The objects are created before the operator starts, so
 * the time is the operator's alone, from its process start. Then it restarts the operator over the
 * fleet now Ready and reports how long the new process takes to reconcile it all, and how many
 * status writes that made (none are needed). Run with:
 *
 * <pre>mvn -o verify -Dit.test=ScaleBenchmark -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@ExtendWith(ControlPlaneExtension.class)
class ScaleBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(ScaleBenchmark.class);
  static final int IMAGES = Integer.getInteger("lamina.bench.images", 500);
  static final List<String> LAYERS = List.of("kernel", "base", "net", "tools", "app");

  @Test
  void fiveHundredCachedOSImagesBecomeReady(ControlPlane cluster) throws Exception {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("bench");
    try (TestRegistry registry = TestRegistry.start()) {
      OciClient oci = OciClient.builder().build();
      String host = registry.host();
      for (String name : LAYERS) {
        Map<String, Map<String, byte[]>> files = new LinkedHashMap<>();
        for (String arch : List.of("amd64", "arm64")) {
          files.put(
              arch,
              name.equals("kernel")
                  ? kernelFiles(arch, "1")
                  : Map.of(name + "/file", utf8(name + arch)));
        }
        pushLayerImage(oci.repository(host + "/" + ns + "/" + name), "v1", files);
        client.resource(layer(ns, name, host + "/" + ns + "/" + name + ":v1")).create();
      }
      // Layers are resolved by a first, short-lived operator so the seeding below can compute the
      // same input digests the measured operator will.
      OperatorMain resolver = new OperatorMain(client, settings());
      resolver.start();
      Map<String, Layer> layers = new LinkedHashMap<>();
      for (String name : LAYERS) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  Layer l = client.resources(Layer.class).inNamespace(ns).withName(name).get();
                  return l.getStatus() != null
                      && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY);
                });
        layers.put(name, client.resources(Layer.class).inNamespace(ns).withName(name).get());
      }
      resolver.stop();

      List<OSImage> images = new ArrayList<>();
      OciRepository out = oci.repository(host + "/" + ns + "/out");
      long seedStart = System.nanoTime();
      // What builds leave (per architecture a config, a manifest and an SBOM referrer, then the
      // index) is about 30 registry requests per image: pushed from a few threads.
      ExecutorService seeders = Executors.newFixedThreadPool(4);
      List<Future<?>> seeded = new ArrayList<>();
      for (int i = 0; i < IMAGES; i++) {
        OSImage o =
            osImage(
                ns,
                "img-" + i,
                List.of(Architecture.amd64, Architecture.arm64),
                host + "/" + ns + "/out",
                "hostname=node-" + i);
        o.getSpec().setInit(LAYERS.subList(1, LAYERS.size()));
        images.add(o);
        seeded.add(seeders.submit(() -> seedCache(out, PlanFactory.create(o, layers))));
      }
      for (Future<?> f : seeded) {
        f.get();
      }
      seeders.shutdown();
      LOG.info(
          "seeded {} cached indexes in {} s",
          IMAGES,
          (System.nanoTime() - seedStart) / 1_000_000_000.0);

      long createStart = System.nanoTime();
      for (OSImage o : images) {
        client.resource(o).create();
      }
      LOG.info(
          "created {} OSImages in {} s before starting the operator",
          IMAGES,
          (System.nanoTime() - createStart) / 1e9);
      // The seeding's writes, still being written back, would slow etcd's fsyncs during the run.
      long syncStart = System.nanoTime();
      run("sync");
      LOG.info("synced in {} s", (System.nanoTime() - syncStart) / 1e9);
      // Counted from a kubectl watch that prints each object's name and phase: the informer the
      // benchmark used before decoded every event into an OSImage in the test's JVM, CPU that
      // competed with the run it measured. Its CPU is reported as "kubectl".
      Set<String> ready = ConcurrentHashMap.newKeySet();
      Process watch =
          new ProcessBuilder(
                  cluster.kubectlPath().toString(),
                  "--kubeconfig=" + cluster.kubeconfigPath(),
                  "get",
                  "osimages",
                  "-n",
                  ns,
                  "--watch",
                  "--no-headers",
                  "-o",
                  "custom-columns=NAME:.metadata.name,PHASE:.status.phase")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      Thread watcher =
          new Thread(
              () -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = lines.readLine()) != null; ) {
                    String[] columns = line.trim().split("\\s+");
                    if (columns.length == 2 && columns[1].equals("Ready")) {
                      ready.add(columns[0]);
                    }
                  }
                } catch (IOException e) {
                  LOG.warn("watch ended: {}", e.toString());
                }
              });
      watcher.setDaemon(true);
      watcher.start();
      Map<String, Double> before = requestCounts(client);
      Map<String, Duration> cpuBefore = cpuByProcess();
      long processStart = System.nanoTime();
      // The JVM as deployed: its options from deploy/, and the heap its 512Mi limit gives.
      List<String> jvm = new ArrayList<>(deployedJvmOptions());
      jvm.add("-Xmx384m");
      // e.g. -Dlamina.bench.jvmOptions=-XX:StartFlightRecording=filename=/tmp/op.jfr to profile
      String extra = System.getProperty("lamina.bench.jvmOptions", "");
      if (!extra.isBlank()) {
        jvm.addAll(List.of(extra.trim().split("\\s+")));
      }
      OperatorProcess running = OperatorProcess.start(cluster, jvm);
      Process operator = running.process;
      LOG.info("operator pid {}, log {}", operator.pid(), running.log);
      // Sampled from its /metrics every 2 s, not with jstat every 500 ms: each jstat is a JVM start
      // (about 0.2 CPU-seconds), CPU taken from the run it measured and not in any process's
      // figure below; each scrape costs the operator little, so not too often either.
      URI metrics = URI.create("http://127.0.0.1:" + running.metricsPort() + "/metrics");
      AtomicLong peakBytes = new AtomicLong();
      Thread sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted() && operator.isAlive()) {
                  peakBytes.accumulateAndGet(heapUsedBytes(metrics), Math::max);
                  try {
                    Thread.sleep(2000);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      try {
        sampler.setDaemon(true);
        sampler.start();
        // From the operator's process start, JVM start-up and informer sync included.
        long start = processStart;
        // Counted from one watch, not by listing 5000 objects every poll: the lists cost the
        // apiserver as much CPU as a good part of the work measured.
        while (ready.size() < IMAGES) {
          if (System.nanoTime() - start > Duration.ofMinutes(10).toNanos()) {
            throw new AssertionError(ready.size() + " of " + IMAGES + " Ready after 10 minutes");
          }
          Thread.sleep(100);
        }
        long allReady = System.nanoTime();
        Map<String, Duration> cpuAfter = cpuByProcess();
        watch.destroy();
        Map<String, Double> after = requestCounts(client);
        run("jcmd", String.valueOf(operator.pid()), "GC.run");
        long liveBytes = heapUsedBytes(metrics);
        sampler.interrupt();
        double total = 0;
        Map<String, Double> delta = new TreeMap<>();
        Map<String, Double> latencyDelta = new TreeMap<>();
        for (var e : after.entrySet()) {
          double d = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
          if (d <= 0) {
            continue;
          }
          if (e.getKey().startsWith("latency ") || e.getKey().startsWith("etcd ")) {
            latencyDelta.put(e.getKey(), d);
          } else {
            delta.put(e.getKey(), d);
            total += d;
          }
        }
        LOG.info(
            "RESULT images={} all_ready_in_s={} heap_peak_mb={} heap_live_after_gc_mb={} apiserver_requests={}",
            IMAGES,
            String.format("%.1f", (allReady - start) / 1e9),
            peakBytes.get() >> 20,
            liveBytes >> 20,
            (long) total);
        delta.forEach((k, v) -> LOG.info("RESULT requests {} = {}", k, v.longValue()));
        meanLatencies(latencyDelta).forEach((k, v) -> LOG.info("RESULT mean {} = {}", k, v));
        cpuAfter.forEach(
            (k, v) ->
                LOG.info(
                    "RESULT cpu_s {} = {}",
                    k,
                    String.format(
                        "%.1f",
                        v.minus(cpuBefore.getOrDefault(k, Duration.ZERO)).toMillis() / 1e3)));
        running.close();
        restart(cluster, jvm);
      } finally {
        sampler.interrupt();
        watch.destroyForcibly();
        running.close();
      }
    }
  }

  /**
   * A restart over the fleet now Ready, as a new operator or the other replica taking over sees it:
   * every OSImage is reconciled once more, and none should need a write. Reports the time until the
   * new process has reconciled them all and the API requests it made meanwhile.
   */
  static void restart(ControlPlane cluster, List<String> jvm) throws Exception {
    KubernetesClient client = cluster.client();
    Map<String, Double> before = requestCounts(client);
    long start = System.nanoTime();
    try (OperatorProcess again = OperatorProcess.start(cluster, jvm)) {
      URI metrics = URI.create("http://127.0.0.1:" + again.metricsPort() + "/metrics");
      while (osImageReconciles(metrics) < IMAGES) {
        if (System.nanoTime() - start > Duration.ofMinutes(10).toNanos()) {
          throw new AssertionError("the restarted operator did not reconcile all in 10 minutes");
        }
        Thread.sleep(250);
      }
      long done = System.nanoTime();
      Map<String, Double> after = requestCounts(client);
      LOG.info(
          "RESULT restart all_reconciled_in_s={} status_patches={}",
          String.format(java.util.Locale.ROOT, "%.1f", (done - start) / 1e9),
          (long)
              (after.getOrDefault("PATCH osimages/status", 0.0)
                  - before.getOrDefault("PATCH osimages/status", 0.0)));
    }
  }

  /** Reconciles the osimage controller has finished, from JOSDK's timer in its /metrics. */
  static long osImageReconciles(URI metrics) {
    return (long)
        sumOfSamples(
            metrics,
            l ->
                l.startsWith("operator_sdk_controllers_execution_reconcile_seconds_count{")
                    && l.contains("controller=\"osimage\""));
  }

  /** JAVA_TOOL_OPTIONS of the operator's container in deploy/base/operator.yaml. */
  static List<String> deployedJvmOptions() throws IOException {
    Path yaml =
        Path.of(System.getProperty("user.dir")).getParent().resolve("deploy/base/operator.yaml");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("name: JAVA_TOOL_OPTIONS\\s+value: (.+)")
            .matcher(Files.readString(yaml));
    if (!m.find()) {
      throw new IllegalStateException("no JAVA_TOOL_OPTIONS in " + yaml);
    }
    return List.of(m.group(1).trim().split("\\s+"));
  }

  /**
   * CPU time so far of this JVM and of each process it started (kube-apiserver, etcd, scheduler,
   * controller-manager, the registry, the operator's JVM), by command name.
   */
  static Map<String, Duration> cpuByProcess() {
    Map<String, Duration> cpu = new TreeMap<>();
    cpu.put("machine-busy", machineBusy());
    cpu.put("test-jvm", ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO));
    ProcessHandle.current()
        .descendants()
        .forEach(
            p -> {
              String name =
                  p.info().command().map(c -> c.substring(c.lastIndexOf('/') + 1)).orElse("?");
              cpu.merge(
                  name.equals("java") ? "operator-jvm" : name,
                  p.info().totalCpuDuration().orElse(Duration.ZERO),
                  Duration::plus);
            });
    return cpu;
  }

  /**
   * CPU time the whole machine spent busy since boot (all cores, every process, the kernel), from
   * /proc/stat: what the per-process figures do not account for shows against it.
   */
  static Duration machineBusy() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long ticks = 0;
      // cpu user nice system idle iowait irq softirq steal
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        ticks += Long.parseLong(f[i]);
      }
      return Duration.ofMillis(ticks * 10); // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return Duration.ZERO;
    }
  }

  /**
   * From the apiserver's metrics endpoint: apiserver_request_total by verb and resource, and for
   * the latency figures the sums and counts of apiserver_request_duration_seconds (by verb and
   * resource, keys starting "latency ") and etcd_request_duration_seconds (by operation and type,
   * keys starting "etcd ").
   */
  static Map<String, Double> requestCounts(KubernetesClient client) {
    Map<String, Double> counts = new TreeMap<>();
    for (String line : client.raw("/metrics").split("\n")) {
      String key;
      if (line.startsWith("apiserver_request_total{")) {
        key = verbAndResource(line);
      } else if (line.startsWith("apiserver_request_duration_seconds_sum{")) {
        key = "latency " + verbAndResource(line) + " sum";
      } else if (line.startsWith("apiserver_request_duration_seconds_count{")) {
        key = "latency " + verbAndResource(line) + " count";
      } else if (line.startsWith("etcd_request_duration_seconds_sum{")) {
        key = "etcd " + etcdOperation(line) + " sum";
      } else if (line.startsWith("etcd_request_duration_seconds_count{")) {
        key = "etcd " + etcdOperation(line) + " count";
      } else {
        continue;
      }
      counts.merge(key, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
    }
    return counts;
  }

  private static String verbAndResource(String line) {
    String labels = line.substring(line.indexOf('{') + 1, line.lastIndexOf('}'));
    return label(labels, "verb")
        + " "
        + label(labels, "resource")
        + label(labels, "subresource").transform(s -> s.isEmpty() ? "" : "/" + s);
  }

  private static String etcdOperation(String line) {
    String labels = line.substring(line.indexOf('{') + 1, line.lastIndexOf('}'));
    // The kind is labelled "resource" by the apiserver here (1.34), "type" by older ones.
    String kind = label(labels, "resource");
    return label(labels, "operation") + " " + (kind.isEmpty() ? label(labels, "type") : kind);
  }

  /**
   * Mean latency in milliseconds of each kind of request the run made, from the sum and count
   * deltas {@link #requestCounts} collected: where a reconcile's time goes outside the operator.
   */
  static Map<String, String> meanLatencies(Map<String, Double> delta) {
    Map<String, String> means = new TreeMap<>();
    delta.forEach(
        (key, count) -> {
          if (key.endsWith(" count") && count >= 100) {
            String name = key.substring(0, key.length() - " count".length());
            double sum = delta.getOrDefault(name + " sum", 0.0);
            means.put(
                name,
                String.format(
                    java.util.Locale.ROOT,
                    "%.1f ms over %d",
                    1000 * sum / count,
                    count.longValue()));
          }
        });
    return means;
  }

  private static String label(String labels, String name) {
    int i = labels.indexOf(name + "=\"");
    if (i < 0 || (i > 0 && labels.charAt(i - 1) != ',')) {
      return "";
    }
    int start = i + name.length() + 2;
    return labels.substring(start, labels.indexOf('"', start));
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Used heap of the operator in bytes: jvm_memory_used_bytes of its heap pools, from /metrics. */
  static long heapUsedBytes(URI metrics) {
    return (long)
        sumOfSamples(
            metrics, l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""));
  }

  /** The sum of the samples on the lines {@code selected} picks from a scrape; 0 if it fails. */
  static double sumOfSamples(URI metrics, java.util.function.Predicate<String> selected) {
    String text;
    try {
      text = HTTP.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
    return text.lines()
        .filter(selected)
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  static String run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return out;
    } catch (IOException | InterruptedException e) {
      return "";
    }
  }
}

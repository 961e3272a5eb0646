package dev.lamina.reconcile;

import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.files.Trees;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.ArtifactTypes;
import dev.lamina.plan.BuildException;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.plan.Builder;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.plan.InputDigest;
import dev.lamina.supply.Sbom;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestLayers.Entry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
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

/** Objects, tiny layer images and operator settings shared by the operator's integration tests. */
final class OperatorTestSupport {
  static final String BUILDER_IMAGE = "lamina:test";

  private OperatorTestSupport() {}

  /** Short intervals so tests see re-resolves, grace periods and retries within seconds. */
  static OperatorSettings settings() {
    return new OperatorSettings(
        Duration.ofSeconds(2),
        Duration.ofSeconds(3),
        BUILDER_IMAGE,
        Set.of(),
        Duration.ofSeconds(1));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Pushes a one-layer image per architecture, each with its own files, and an index over them
   * tagged {@code tag}; returns the index descriptor.
   */
  static Descriptor pushLayerImage(
      OciRepository repo, String tag, Map<String, Map<String, byte[]>> filesByArch)
      throws IOException {
    Map<String, List<byte[]>> blobs = new TreeMap<>();
    for (Map.Entry<String, Map<String, byte[]>> a : filesByArch.entrySet()) {
      List<Entry> entries = new ArrayList<>();
      for (Map.Entry<String, byte[]> f : new TreeMap<>(a.getValue()).entrySet()) {
        entries.add(Entry.file(f.getKey(), f.getValue(), 0644));
      }
      blobs.put(a.getKey(), List.of(TestLayers.gzip(TestLayers.tar(entries))));
    }
    return TestLayers.pushImage(repo, tag, blobs);
  }

  /**
   * Pushes kernel and base layer images for amd64 and arm64 to {@code prefix/kernel:v1} and {@code
   * prefix/base:v1}; returns the base index descriptor.
   */
  static Descriptor pushLayers(OciClient oci, String prefix, String version) throws IOException {
    Map<String, Map<String, byte[]>> kernel = new LinkedHashMap<>();
    Map<String, Map<String, byte[]>> base = new LinkedHashMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      kernel.put(arch, kernelFiles(arch, version));
      base.put(arch, baseFiles(arch, version));
    }
    pushLayerImage(oci.repository(prefix + "/kernel"), "v1", kernel);
    return pushLayerImage(oci.repository(prefix + "/base"), "v1", base);
  }

  /** Files of a kernel layer: any bytes do as a kernel for the operator's tests. */
  static Map<String, byte[]> kernelFiles(String arch, String version) throws IOException {
    return Map.of(
        "kernel", utf8("kernel " + arch + " " + version), "kernel.tar", TestLayers.tar(List.of()));
  }

  static Map<String, byte[]> baseFiles(String arch, String version) {
    return Map.of(
        "etc/os-release",
        utf8("NAME=lamina-test\nVERSION=" + version + "\nARCH=" + arch + "\n"),
        "init",
        utf8("#!/bin/sh\necho hello\n"));
  }

  /**
   * Pushes, per architecture of the plan, what a build pushes (through the builder's own {@code
   * push}: a kernel blob, the build config, the manifest and its SBOM as a referrer), then the
   * index the operator publishes, tagged with the plan's cache tag, as a build elsewhere would have
   * left them; returns the index descriptor.
   */
  static Descriptor seedCache(OciRepository out, BuildPlan plan) throws IOException {
    Path dir = Files.createTempDirectory("lamina-seed-");
    try {
      Map<String, IndexPublisher.Entry> entries = new TreeMap<>();
      for (String arch : new TreeMap<>(plan.architectures()).keySet()) {
        Path kernel = dir.resolve(ArtifactTypes.KERNEL_FILE);
        Files.write(kernel, utf8("kernel for " + arch));
        Path sbom = dir.resolve(Sbom.FILE);
        Files.write(sbom, new Sbom(plan.osImage(), arch, plan.sourceDateEpoch()).toJson());
        Builder.Assembled assembled =
            new Builder.Assembled(
                arch,
                dir,
                List.of(
                    Builder.artifact(kernel, ArtifactTypes.KERNEL_FILE, ArtifactTypes.KERNEL),
                    Builder.artifact(sbom, Sbom.FILE, Sbom.MEDIA_TYPE)),
                List.of(),
                0);
        try {
          entries.put(arch, IndexPublisher.Entry.of(Builder.push(out, plan, assembled, p -> {})));
        } catch (BuildException e) {
          throw new IOException(e);
        }
      }
      return IndexPublisher.publish(
          out, entries, List.of(InputDigest.cacheTag(plan.inputDigest())));
    } finally {
      Trees.delete(dir);
    }
  }

  static Layer layer(String ns, String name, String image) {
    Layer l = new Layer();
    l.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    l.setSpec(new LayerSpec(image));
    return l;
  }

  /**
   * Records, from a watch started now, the pods of a namespace: the name of each one created, its
   * build architecture label and the node it was bound to.
   */
  static final class PodWatch implements AutoCloseable {
    final Set<String> created = ConcurrentHashMap.newKeySet();
    final Map<String, String> archByPod = new ConcurrentHashMap<>();
    final Map<String, String> nodeByPod = new ConcurrentHashMap<>();
    private final Watch watch;

    PodWatch(KubernetesClient client, String ns) {
      watch =
          client
              .pods()
              .inNamespace(ns)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Pod pod) {
                      String name = pod.getMetadata().getName();
                      if (action == Action.ADDED) {
                        created.add(name);
                      }
                      Map<String, String> labels = pod.getMetadata().getLabels();
                      archByPod.putIfAbsent(
                          name,
                          labels == null
                              ? ""
                              : labels.getOrDefault(BuildPodFactory.LABEL_ARCH, ""));
                      if (pod.getSpec().getNodeName() != null) {
                        nodeByPod.put(name, pod.getSpec().getNodeName());
                      }
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
    }

    @Override
    public void close() {
      watch.close();
    }
  }
}

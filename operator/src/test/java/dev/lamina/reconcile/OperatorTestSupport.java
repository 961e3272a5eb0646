package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.KernelSpec;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.OutputSpec;
import dev.lamina.build.BuildPlan;
import dev.lamina.build.InputDigest;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.Digests;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/** Objects, tiny layer images and operator settings shared by the operator's integration tests. */
final class OperatorTestSupport {
  static final String BUILDER_IMAGE = "lamina:test";

  private OperatorTestSupport() {}

  /** Short intervals so tests see re-resolves, grace periods and retries within seconds. */
  static OperatorSettings settings() {
    return new OperatorSettings(
        Duration.ofSeconds(2), Duration.ofSeconds(3), BUILDER_IMAGE, Set.of(), Duration.ofSeconds(1));
  }

  /** A gzipped tar of the given regular files, with fixed times and owners. */
  static byte[] tarGz(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    GzipParameters gz = new GzipParameters();
    gz.setModificationTime(0);
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes, gz))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> f : new TreeMap<>(files).entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(f.getValue().length);
        e.setMode(0644);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** An empty tar, as a kernel layer's modules archive. */
  static byte[] emptyTar() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new TarArchiveOutputStream(bytes).close();
    return bytes.toByteArray();
  }

  /**
   * Pushes a one-layer image per architecture, each with its own files, and an index over them
   * tagged {@code tag}; returns the index descriptor.
   */
  static Descriptor pushLayerImage(OciRepository repo, String tag, Map<String, Map<String, byte[]>> filesByArch)
      throws IOException {
    List<Descriptor> entries = new java.util.ArrayList<>();
    for (Map.Entry<String, Map<String, byte[]>> a : new TreeMap<>(filesByArch).entrySet()) {
      Platform platform = Platform.linux(a.getKey());
      byte[] config = utf8("{\"architecture\":\"" + a.getKey() + "\",\"os\":\"linux\","
          + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
      Descriptor configDesc = pushBlob(repo, config, MediaTypes.OCI_CONFIG);
      Descriptor layer = pushBlob(repo, tarGz(a.getValue()), MediaTypes.OCI_LAYER_GZIP);
      byte[] manifest = ImageManifest.of(null, configDesc, List.of(layer), Map.of()).toJson();
      Descriptor m = repo.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
      entries.add(new Descriptor(m.mediaType(), m.digest(), m.size(), Map.of(), platform, null));
    }
    byte[] index = ImageIndex.of(entries, Map.of()).toJson();
    return repo.pushManifest(index, MediaTypes.OCI_INDEX, tag);
  }

  /**
   * Pushes kernel and base layer images for amd64 and arm64 to {@code prefix/kernel:v1} and
   * {@code prefix/base:v1}; returns the base index descriptor.
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

  static Descriptor pushBlob(OciRepository repo, byte[] bytes, String mediaType) throws IOException {
    Descriptor d = new Descriptor(mediaType, Digests.sha256(bytes), bytes.length);
    repo.pushBlob(d, () -> new ByteArrayInputStream(bytes), null);
    return d;
  }

  /** Files of a kernel layer: any bytes do as a kernel for the operator's tests. */
  static Map<String, byte[]> kernelFiles(String arch, String version) throws IOException {
    return Map.of("kernel", utf8("kernel " + arch + " " + version), "kernel.tar", emptyTar());
  }

  static Map<String, byte[]> baseFiles(String arch, String version) {
    return Map.of("etc/os-release", utf8("NAME=lamina-test\nVERSION=" + version + "\nARCH=" + arch + "\n"),
        "init", utf8("#!/bin/sh\necho hello\n"));
  }

  /**
   * Pushes a tiny manifest per architecture of the plan and an index over them, tagged with the
   * plan's cache tag, as a build elsewhere would have left them; returns the index descriptor.
   */
  static Descriptor seedCache(OciRepository out, BuildPlan plan) throws IOException {
    List<Descriptor> entries = new java.util.ArrayList<>();
    for (String arch : new TreeMap<>(plan.architectures()).keySet()) {
      Descriptor config = pushBlob(out, utf8("{}"), "application/vnd.lamina.build.v1+json");
      Descriptor blob = pushBlob(out, utf8("kernel for " + arch), "application/vnd.lamina.kernel");
      blob = new Descriptor(blob.mediaType(), blob.digest(), blob.size(),
          Map.of(MediaTypes.ANNOTATION_TITLE, "kernel"), null, null);
      byte[] manifest = ImageManifest.of(null, config, List.of(blob), Map.of()).toJson();
      Descriptor m = out.pushManifest(manifest, MediaTypes.OCI_MANIFEST, null);
      entries.add(new Descriptor(m.mediaType(), m.digest(), m.size(), Map.of(), Platform.linux(arch), null));
    }
    return out.pushManifest(ImageIndex.of(entries, Map.of()).toJson(), MediaTypes.OCI_INDEX,
        InputDigest.cacheTag(plan.inputDigest()));
  }

  static Layer layer(String ns, String name, String image) {
    Layer l = new Layer();
    l.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    l.setSpec(new LayerSpec(image));
    return l;
  }

  static OSImage osImage(String ns, String name, List<Architecture> archs, String repository, String cmdline) {
    OSImage o = new OSImage();
    o.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    OSImageSpec spec = new OSImageSpec();
    spec.setArchitectures(archs);
    KernelSpec k = new KernelSpec();
    k.setLayer("kernel");
    k.setCmdline(cmdline);
    spec.setKernel(k);
    spec.setInit(List.of("base"));
    OutputSpec out = new OutputSpec();
    out.setRepository(repository);
    spec.setOutput(out);
    o.setSpec(spec);
    return o;
  }

  /** Counts every pod ever created in a namespace, by name, from a watch started now. */
  static final class PodCounter implements AutoCloseable {
    final Set<String> created = ConcurrentHashMap.newKeySet();
    private final Watch watch;

    PodCounter(KubernetesClient client, String ns) {
      watch = client.pods().inNamespace(ns).watch(new Watcher<>() {
        @Override
        public void eventReceived(Action action, Pod pod) {
          if (action == Action.ADDED) {
            created.add(pod.getMetadata().getName());
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

package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the input digest of one fixed OSImage and its resolved Layers. The digest names the cache
 * tag: if it moved, every image would be rebuilt after an operator upgrade. A new field must leave
 * this value alone, or raise {@link InputDigest#OUTPUT_FORMAT_VERSION} on purpose and update it.
 */
class InputDigestGoldenTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** Every spec field that reaches the plan is set, so none can drift in unnoticed. */
  private static final String OS_IMAGE =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: OSImage
      metadata: {name: edge, namespace: golden, generation: 3}
      spec:
        architectures: [arm64, amd64]
        kernel: {layer: kernel, cmdline: "console=ttyS0 quiet", binary: boot/vmlinuz, modules: lib/modules.tar}
        init: [base, extras]
        files:
          - {path: etc/hostname, contents: "edge\\n", mode: "0644"}
          - {path: opt/data, directory: true, mode: "0755", uid: 10, gid: 20}
          - {path: bin/sh, symlink: busybox}
        formats: [kernel+initrd, rootfs-tar]
        compression: zstd
        sourceDateEpoch: 1700000000
        build:
          retries: 4
          activeDeadlineSeconds: 900
          limits: {maxUncompressedBytes: 2Gi, maxEntries: 100000}
        output: {repository: registry.example/os/edge, tag: v1, pushSecret: push}
      """;

  private static Layer layer(String name, String image, String amd64, String arm64) {
    return YAML.unmarshal(
        """
        apiVersion: lamina.dev/v1alpha1
        kind: Layer
        metadata: {name: %s, namespace: golden, generation: 1}
        spec: {image: "%s", pullSecret: pull}
        status:
          observedGeneration: 1
          platforms:
            - {platform: linux/amd64, digest: "sha256:%s", size: 500, layersSize: 1000}
            - {platform: linux/arm64/v8, digest: "sha256:%s", size: 501, layersSize: 1001}
        """
            .formatted(name, image, amd64.repeat(64), arm64.repeat(64)),
        Layer.class);
  }

  @Test
  void fixedImageAndLayersHashToTheCommittedDigest() {
    OSImage image = YAML.unmarshal(OS_IMAGE, OSImage.class);
    Map<String, Layer> layers = new LinkedHashMap<>();
    layers.put("kernel", layer("kernel", "registry.example/kernel:6.1", "1", "2"));
    layers.put("base", layer("base", "registry.example/base@sha256:" + "9".repeat(64), "3", "4"));
    layers.put("extras", layer("extras", "localhost:5000/extras:v2", "5", "6"));

    BuildPlan plan = PlanFactory.create(image, layers);

    assertThat(plan.inputDigest())
        .isEqualTo(InputDigest.of(plan))
        // Format version 5 (the index embeds each manifest); at version 4 (the manifest embeds
        // its config, the index names each SBOM) this was
        // sha256:736342539768090d9a0370d1c95e17e364dcde27771f2f0dde22afd394b8b4ea, at version 3
        // (gzip level 4 and stored random blocks change the initrd's bytes)
        // sha256:eb7e893b47c1af691785efc0b09718436abb88e0f8026200abaf1b29ce504a5b, at version 2
        // sha256:69ae46d74d13f20afdfaffaf46b65e9f25a6bb6513af4504ace52706846b68ca.
        .isEqualTo("sha256:4d167866e4c5c9b76c810527900e7f16c45bd41e25a087bed9829e09a4e1244c");
  }
}

package dev.lamina.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSpec;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageSpec;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.PolicyAction;
import dev.lamina.assemble.UnionLimits;
import dev.lamina.testing.TestObjects;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlanFactoryTest {
  static final String K_AMD = "sha256:" + "a".repeat(64);
  static final String K_ARM = "sha256:" + "b".repeat(64);
  static final String B_AMD = "sha256:" + "c".repeat(64);
  static final String B_ARM = "sha256:" + "d".repeat(64);

  static Layer layer(String name, String image, String amd, String arm) {
    Layer l = new Layer();
    l.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace("ns").withGeneration(1L).build());
    l.setSpec(new LayerSpec(image));
    LayerStatus s = new LayerStatus();
    s.setPlatforms(
        arm == null
            ? List.of(new PlatformDigest("linux/amd64", amd, 500L, 1000L))
            : List.of(
                new PlatformDigest("linux/amd64", amd, 500L, 1000L),
                new PlatformDigest("linux/arm64/v8", arm, 500L, 1000L)));
    l.setStatus(s);
    return l;
  }

  static OSImage image(String name, String cmdline, List<Architecture> archs) {
    OSImage o = TestObjects.osImage("ns", name, archs, "registry.example/os/" + name, cmdline);
    o.getMetadata().setGeneration(1L);
    return o;
  }

  static Map<String, Layer> layers() {
    return Map.of(
        "kernel", layer("kernel", "registry.example/kernel:6.1@" + K_AMD, K_AMD, K_ARM),
        "base", layer("base", "localhost:5000/base:v1", B_AMD, B_ARM));
  }

  @Test
  void pinsEachLayerToTheManifestOfEachArchitecture() {
    BuildPlan plan =
        PlanFactory.create(
            image("a", "console=ttyS0", List.of(Architecture.arm64, Architecture.amd64)), layers());

    assertThat(plan.architectures()).containsOnlyKeys("amd64", "arm64");
    assertThat(plan.architectures().get("arm64").kernel())
        .isEqualTo(new BuildPlan.LayerRef("kernel", "registry.example/kernel", K_ARM));
    assertThat(plan.architectures().get("amd64").init())
        .containsExactly(new BuildPlan.LayerRef("base", "localhost:5000/base", B_AMD));
    assertThat(plan.kernel())
        .isEqualTo(new BuildPlan.KernelPlan("kernel", "kernel.tar", "console=ttyS0"));
    assertThat(plan.inputDigest()).isEqualTo(InputDigest.of(plan)).startsWith("sha256:");
    assertThat(plan.osImage()).isEqualTo("ns/a");
  }

  @Test
  void efiFormatsPinTheStubLayerAndCarryTheDiskSize() {
    OSImage o = image("efi", "console=ttyS0", List.of(Architecture.arm64, Architecture.amd64));
    String before = PlanFactory.create(o, layers()).inputDigest();
    o.getSpec().setFormats(List.of(dev.lamina.api.OutputFormat.RAW_EFI));
    dev.lamina.api.StubSpec stub = new dev.lamina.api.StubSpec();
    stub.setLayer("stub");
    dev.lamina.api.UkiSpec uki = new dev.lamina.api.UkiSpec();
    uki.setStub(stub);
    o.getSpec().setUki(uki);
    dev.lamina.api.DiskSpec disk = new dev.lamina.api.DiskSpec();
    disk.setSize("512Mi");
    o.getSpec().setDisk(disk);
    Map<String, Layer> layers = new java.util.HashMap<>(layers());
    layers.put("stub", layer("stub", "registry.example/sdboot@" + B_ARM, B_ARM, K_ARM));

    BuildPlan plan = PlanFactory.create(o, layers);

    assertThat(plan.architectures().get("arm64").stub())
        .isEqualTo(new BuildPlan.LayerRef("stub", "registry.example/sdboot", K_ARM));
    assertThat(plan.efi().stubPaths())
        .containsEntry("amd64", "usr/lib/systemd/boot/efi/linuxx64.efi.stub")
        .containsEntry("arm64", "usr/lib/systemd/boot/efi/linuxaa64.efi.stub");
    assertThat(plan.efi().diskSize()).isEqualTo(512L << 20);
    assertThat(plan.inputDigest()).isNotEqualTo(before);
    assertThat(o.getSpec().layerNames()).containsExactly("kernel", "base", "stub");

    disk.setSize("1Gi");
    assertThat(PlanFactory.create(o, layers).inputDigest()).isNotEqualTo(plan.inputDigest());
    o.getSpec().setUki(null);
    assertThatThrownBy(() -> PlanFactory.create(o, layers))
        .hasMessage("spec.uki.stub.layer is required: format raw-efi is built on an EFI stub");
  }

  @Test
  void sameInputsUnderAnotherNameAndRepositoryGiveTheSameDigest() {
    String a =
        PlanFactory.create(image("a", "quiet", List.of(Architecture.amd64)), layers())
            .inputDigest();
    String b =
        PlanFactory.create(image("b", "quiet", List.of(Architecture.amd64)), layers())
            .inputDigest();
    assertThat(a).isEqualTo(b);
  }

  @Test
  void overlapActionTravelsInThePlanButNotIntoTheInputDigest() throws Exception {
    BuildPlan plan = PlanFactory.create(image("a", "quiet", List.of(Architecture.amd64)), layers());
    BuildPlan denying = plan.withOutput(plan.output().withOverlaps(PolicyAction.Deny));
    assertThat(InputDigest.of(denying)).isEqualTo(plan.inputDigest());

    ObjectMapper json = new ObjectMapper();
    BuildPlan read = json.readValue(json.writeValueAsString(denying), BuildPlan.class);
    assertThat(read.output().overlaps()).isEqualTo(PolicyAction.Deny);
    // Without a Deny the plan is written as before, so existing plan ConfigMaps stay unchanged.
    assertThat(json.writeValueAsString(plan)).doesNotContain("overlaps");
  }

  @Test
  void changedCmdlineOrMovedLayerGivesANewDigest() {
    String before =
        PlanFactory.create(image("a", "quiet", List.of(Architecture.amd64)), layers())
            .inputDigest();
    String cmdline =
        PlanFactory.create(image("a", "loud", List.of(Architecture.amd64)), layers()).inputDigest();
    Map<String, Layer> moved =
        Map.of(
            "kernel", layers().get("kernel"),
            "base", layer("base", "localhost:5000/base:v1", "sha256:" + "e".repeat(64), B_ARM));
    String layer =
        PlanFactory.create(image("a", "quiet", List.of(Architecture.amd64)), moved).inputDigest();
    assertThat(cmdline).isNotEqualTo(before);
    assertThat(layer).isNotEqualTo(before).isNotEqualTo(cmdline);
  }

  @Test
  void layerWithoutTheArchitectureIsNamed() {
    Map<String, Layer> amdOnly =
        Map.of(
            "kernel", layers().get("kernel"),
            "base", layer("base", "localhost:5000/base:v1", B_AMD, null));
    assertThatThrownBy(
            () -> PlanFactory.create(image("a", "", List.of(Architecture.arm64)), amdOnly))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Layer base has no linux/arm64 manifest");
  }

  @Test
  void fileEntryTheSchemaWouldRefuseIsNamedBeforeAnyBuild() {
    OSImage o = image("a", "", List.of(Architecture.amd64));
    o.getSpec()
        .setFiles(
            List.of(
                new dev.lamina.api.FileSpec("etc/motd", "hi", "0644"),
                new dev.lamina.api.FileSpec("bin/su", null, "99999")));
    assertThatThrownBy(() -> PlanFactory.create(o, layers()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "spec.files[1].mode: \"99999\" is not an octal file mode (\"0000\" to \"07777\")");
    o.getSpec().setFiles(List.of(new dev.lamina.api.FileSpec("", "x", null)));
    assertThatThrownBy(() -> PlanFactory.create(o, layers()))
        .hasMessage("spec.files[0].path: is required and must not be empty");
  }

  @Test
  void layerNamesListKernelFirstWithoutDuplicates() {
    OSImageSpec spec = image("a", "", List.of(Architecture.amd64)).getSpec();
    spec.setInit(List.of("base", "kernel", "extra"));
    assertThat(spec.layerNames()).containsExactly("kernel", "base", "extra");
  }

  static final String GOLDEN_YAML =
      """
      apiVersion: lamina.dev/v1alpha1
      kind: OSImage
      metadata: {name: golden, namespace: ns}
      spec:
        architectures: [amd64]
        kernel: {layer: kernel, cmdline: "console=ttyS0"}
        init: [base]
        files:
          - {path: etc/motd, contents: "hi\\n"}
        build: {retries: 1%s}
      """;

  static OSImage golden(String buildExtra) {
    return new KubernetesSerialization()
        .unmarshal(GOLDEN_YAML.formatted(buildExtra), OSImage.class);
  }

  static Map<String, Layer> goldenLayers() {
    return Map.of(
        "kernel", layer("kernel", "registry.example/kernel:1", K_AMD, null),
        "base", layer("base", "registry.example/base:1", "sha256:" + "c".repeat(64), null));
  }

  @Test
  void limitsLeaveTheInputDigestAsItWasBeforeThereWereLimits() {
    // Computed by the operator before build limits existed (commit 5009b43, sha256:f9a6419d…),
    // then again with only OUTPUT_FORMAT_VERSION raised from 2 to 3 (the initrd's gzip changed;
    // sha256:88442932…), from 3 to 4 (the manifest embeds its config, the index names SBOMs;
    // sha256:82cbe45e…) and from 4 to 5 (the index embeds each manifest).
    String before = "sha256:c8e3bc9d1292b83f1ca14be2fad92de4da6da76d31875f42a3c7958bde6c34dd";
    BuildPlan plain = PlanFactory.create(golden(""), goldenLayers());
    BuildPlan limited =
        PlanFactory.create(
            golden(", limits: {maxUncompressedBytes: 8Gi, maxEntries: 1000}"),
            goldenLayers(),
            new UnionLimits(1L << 30, 500));

    assertThat(plain.inputDigest()).isEqualTo(before);
    assertThat(limited.inputDigest()).isEqualTo(before);
    assertThat(plain.limits()).isEqualTo(UnionLimits.DEFAULTS);
  }

  @Test
  void specLimitsAreReadAsQuantitiesAndLoweredToTheOperatorMaximum() {
    UnionLimits max = new UnionLimits(32L << 30, 2_000_000);
    assertThat(
            PlanFactory.create(
                    golden(", limits: {maxUncompressedBytes: 8Gi, maxEntries: 1000}"),
                    goldenLayers(),
                    max)
                .limits())
        .isEqualTo(new UnionLimits(8L << 30, 1000));
    assertThat(
            PlanFactory.create(
                    golden(", limits: {maxUncompressedBytes: 1000000000}"), goldenLayers(), max)
                .limits())
        .isEqualTo(new UnionLimits(1_000_000_000L, UnionLimits.DEFAULTS.maxEntries()));
    assertThat(
            PlanFactory.create(
                    golden(", limits: {maxUncompressedBytes: 64Gi, maxEntries: 5000000}"),
                    goldenLayers(),
                    max)
                .limits())
        .isEqualTo(max);
  }

  @Test
  void nonsenseLimitIsRefusedNamingTheField() {
    assertThatThrownBy(
            () ->
                PlanFactory.create(
                    golden(", limits: {maxUncompressedBytes: 0}"), goldenLayers(), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "spec.build.limits.maxUncompressedBytes: \"0\" is not a positive size such as 8Gi");
  }
}

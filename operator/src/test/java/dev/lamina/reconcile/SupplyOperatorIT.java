package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.layer;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.api.SignatureState;
import dev.lamina.api.SigningSpec;
import dev.lamina.api.TrustSpec;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.supply.CosignArtifacts;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyChainIT;
import dev.lamina.supply.SupplyTools;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator signing what it builds and refusing Layers that policy's keys did not sign, checked
 * with cosign itself and with {@code lamina verify}.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SupplyOperatorIT {
  static final Duration BUILD = Duration.ofMinutes(3);

  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;
  @TempDir Path tmp;

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, true);
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) {
      env.close();
    }
  }

  OSImage get(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  Layer layerOf(String ns, String name) {
    return client.resources(Layer.class).inNamespace(ns).withName(name).get();
  }

  @Test
  void operatorSignsItsBuildAndCosignAndLaminaVerifyAcceptIt() throws Exception {
    String ns = cluster.newNamespace("signed");
    env.layers(ns, "1");
    SigningKeys.KeyPair key = SupplyChainIT.newKey();
    Path pub = tmp.resolve("key.pub");
    Files.writeString(pub, SigningKeys.publicPem(key.publicKey()));
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("signing")
                .withNamespace(ns)
                .endMetadata()
                .addToData("key.pem", b64(SigningKeys.privatePem(key.privateKey())))
                .addToData("key.pub", b64(SigningKeys.publicPem(key.publicKey())))
                .build())
        .create();
    OSImage o =
        osImage(
            ns,
            "edge",
            List.of(Architecture.amd64, Architecture.arm64),
            env.image(ns + "/out"),
            "console=ttyS0");
    o.getSpec().getOutput().setTag("v1");
    SigningSpec signing = new SigningSpec();
    signing.setKeySecret("signing");
    o.getSpec().getOutput().setSigning(signing);
    client.resource(o).create();
    await()
        .atMost(BUILD)
        .until(
            () ->
                get(ns, "edge").getStatus() != null
                    && get(ns, "edge").getStatus().getSigningKey() != null);
    OSImage built = get(ns, "edge");
    assertThat(built.getStatus().getPhase()).isEqualTo(Phase.Ready);
    for (ArchitectureStatus a : built.getStatus().getArchitectures()) {
      assertThat(a.getSbomDigest()).startsWith("sha256:");
      assertThat(a.getNodeArchitecture()).isNotBlank();
    }

    String repo = env.image(ns + "/out");
    String ref = repo + "@" + built.getStatus().getDigest();
    SupplyTools.Run verified = SupplyTools.cosignVerify(pub, ref);
    assertThat(verified.exit()).as(verified.out()).isZero();
    SupplyTools.Run attested = SupplyTools.cosignVerifyAttestation(pub, ref);
    assertThat(attested.exit()).as(attested.out()).isZero();
    // cosign prints the verified envelope: its statement is the provenance the operator wrote.
    String envelope =
        attested.out().lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y).orElseThrow();
    String statement =
        new String(
            Base64.getDecoder()
                .decode(new ObjectMapper().readTree(envelope).path("payload").asText()),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(statement)
        .contains(
            "\"predicateType\":\"https://slsa.dev/provenance/v1\"",
            "\"inputDigest\":\"" + built.getStatus().getInputDigest() + "\"",
            "\"nodeArchitecture\"",
            "\"name\":\"builder\"");

    SupplyTools.Cli rebuilt =
        SupplyTools.lamina(
            "verify",
            repo + ":v1",
            "--key",
            pub.toString(),
            "--insecure-registry",
            env.registry.host());
    assertThat(rebuilt.exit()).as(rebuilt.err()).isZero();
    assertThat(rebuilt.out()).contains("match   arm64 initrd.img", "match   index index");

    // The arm64 kernel swapped under the same tag, the provenance copied along: caught.
    OciRepository out = env.repository(ns + "/out");
    String armManifest =
        built.getStatus().getArchitectures().stream()
            .filter(a -> a.getArchitecture().equals("arm64"))
            .findFirst()
            .orElseThrow()
            .getManifestDigest();
    dev.lamina.oci.ImageManifest m =
        dev.lamina.oci.ImageManifest.parse(out.manifestBytes(armManifest));
    List<Descriptor> layers = new java.util.ArrayList<>(m.layers());
    byte[] evil = "evil kernel".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Descriptor evilBlob =
        dev.lamina.testing.TestLayers.pushBlob(out, evil, layers.get(0).mediaType());
    layers.set(
        0,
        new Descriptor(
            evilBlob.mediaType(),
            evilBlob.digest(),
            evil.length,
            layers.get(0).annotations(),
            null,
            null));
    Descriptor evilManifest =
        out.pushManifest(
            new dev.lamina.oci.ImageManifest(
                    m.mediaType(), m.artifactType(), m.config(), layers, m.annotations())
                .toJson(),
            MediaTypes.OCI_MANIFEST,
            null);
    Map<String, IndexPublisher.Entry> manifests = new java.util.TreeMap<>();
    built
        .getStatus()
        .getArchitectures()
        .forEach(
            a ->
                manifests.put(
                    a.getArchitecture(),
                    new IndexPublisher.Entry(a.getManifestDigest(), a.getSbomDigest())));
    manifests.put("arm64", new IndexPublisher.Entry(evilManifest.digest(), null));
    Descriptor evilIndex = IndexPublisher.publish(out, manifests, List.of("v1"));
    Descriptor att =
        out.resolveTag(CosignArtifacts.attestationTag(built.getStatus().getDigest())).orElseThrow();
    out.pushManifest(
        out.manifestBytes(att.digest()),
        MediaTypes.OCI_MANIFEST,
        CosignArtifacts.attestationTag(evilIndex.digest()));
    SupplyTools.Cli caught =
        SupplyTools.lamina(
            "verify",
            repo + ":v1",
            "--key",
            pub.toString(),
            "--insecure-registry",
            env.registry.host());
    assertThat(caught.exit()).as(caught.out() + caught.err()).isEqualTo(1);
    assertThat(caught.out())
        .contains("DIFFERS arm64 kernel pushed " + evilBlob.digest(), "match   amd64 kernel");
    assertThat(caught.err()).contains("arm64/kernel");
    SupplyTools.Run cosignTampered = SupplyTools.cosignVerify(pub, repo + ":v1");
    assertThat(cosignTampered.exit()).as(cosignTampered.out()).isNotZero();
  }

  @Test
  void trustAdmitsALayerCosignSignedAndBlocksUnsignedAndRetaggedOnes() throws Exception {
    String ns = cluster.newNamespace("trust");
    env.pushLayers(ns, "1");
    SupplyTools.Run gen =
        SupplyTools.run(
            SupplyTools.COSIGN,
            "generate-key-pair",
            "--output-key-prefix",
            tmp.resolve("cosign").toString());
    assertThat(gen.exit()).as(gen.out()).isZero();
    String kernelRef = env.image(ns + "/kernel") + ":v1";
    SupplyTools.Run signed =
        SupplyTools.run(
            SupplyTools.COSIGN,
            "sign",
            "--yes",
            "--key",
            tmp.resolve("cosign.key").toString(),
            "--tlog-upload=false",
            "--allow-http-registry",
            kernelRef);
    assertThat(signed.exit()).as(signed.out()).isZero();

    // The policy's key comes from a ConfigMap; it applies to Layers labelled trust=required.
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("keys")
                .withNamespace(ns)
                .endMetadata()
                .addToData("cosign.pub", Files.readString(tmp.resolve("cosign.pub")))
                .build())
        .create();
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName("trust-" + ns).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    TrustSpec trust = new TrustSpec();
    trust.setLayerSelector(
        new LabelSelectorBuilder().addToMatchLabels("trust", "required").build());
    TrustSpec.KeyConfigMap from = new TrustSpec.KeyConfigMap();
    from.setNamespace(ns);
    from.setName("keys");
    trust.setPublicKeysFrom(List.of(from));
    spec.setTrust(trust);
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    policy.setSpec(spec);
    client.resource(policy).create();
    try {
      Layer kernel = layer(ns, "kernel", kernelRef);
      kernel.getMetadata().setLabels(Map.of("trust", "required"));
      client.resource(kernel).create();
      Layer base = layer(ns, "base", env.image(ns + "/base") + ":v1");
      base.getMetadata().setLabels(Map.of("trust", "required"));
      client.resource(base).create();

      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> readyReason(ns, "kernel"), "Resolved"::equals);
      assertThat(layerOf(ns, "kernel").getStatus().getSignature().getState())
          .isEqualTo(SignatureState.Verified);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> readyReason(ns, "base"), "Unsigned"::equals);
      assertThat(layerOf(ns, "base").getStatus().getPolicy().getResults())
          .anySatisfy(r -> assertThat(r.getRule()).isEqualTo("LMN014"));

      OSImage o = osImage(ns, "img", List.of(Architecture.amd64), env.image(ns + "/out"), "quiet");
      client.resource(o).create();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(ns, "img").getStatus(), s -> s != null && s.getPhase() == Phase.Blocked);
      assertThat(
              Conditions.find(get(ns, "img").getStatus().getConditions(), Conditions.READY)
                  .orElseThrow()
                  .getMessage())
          .contains("LMN014", "base");

      // The signed kernel tag re-pointed at other content: the new digest has no signature.
      OperatorTestSupport.pushLayerImage(
          env.repository(ns + "/kernel"),
          "v1",
          Map.of(
              "amd64", OperatorTestSupport.kernelFiles("amd64", "2"),
              "arm64", OperatorTestSupport.kernelFiles("arm64", "2")));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> readyReason(ns, "kernel"), "Unsigned"::equals);
      assertThat(layerOf(ns, "kernel").getStatus().getSignature().getState())
          .isEqualTo(SignatureState.Unsigned);
    } finally {
      client.resource(policy).delete();
    }
  }

  String readyReason(String ns, String name) {
    Layer l = layerOf(ns, name);
    if (l == null || l.getStatus() == null) {
      return null;
    }
    return Conditions.find(l.getStatus().getConditions(), Conditions.READY)
        .map(c -> c.getReason())
        .orElse(null);
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}

package dev.lamina.supply;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Compression;
import dev.lamina.api.OutputFormat;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.MediaTypes;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildResult;
import dev.lamina.plan.Builder;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.testing.TestLayers;
import dev.lamina.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SBOMs, signatures and provenance checked by the stock tools: pyspdxtools validates the SBOM, and
 * cosign (built from its Go module) verifies signatures and provenance in a real registry, offline.
 */
public class SupplyChainIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INPUT =
      "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  private static TestRegistry registry;
  private static OciClient client;
  private static BuildPlan.LayerRef kernel;
  private static BuildPlan.LayerRef debian;
  private static String dpkgStatus;

  @TempDir Path tmp;

  @BeforeAll
  static void layers() throws Exception {
    registry = TestRegistry.start();
    client = OciClient.create();
    byte[] modules =
        TestLayers.tar(
            List.of(
                TestLayers.Entry.dir("lib"),
                TestLayers.Entry.dir("lib/modules"),
                TestLayers.Entry.file("lib/modules/6.1.0-test-amd64/modules.dep", "")));
    kernel =
        push(
            "layers/kernel",
            List.of(
                TestLayers.tarGz(
                    TestLayers.Entry.file("kernel", "KERNEL"),
                    TestLayers.Entry.file("kernel.tar", modules, 0644))));
    DebianLayer.Built deb = DebianLayer.of("amd64", "busybox-static", "hostname");
    dpkgStatus = deb.status();
    String inTree =
        "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"SPDXID\":\"SPDXRef-tool\",\"name\":"
            + "\"vendor-tool\",\"versionInfo\":\"1.2.3\",\"downloadLocation\":\"NOASSERTION\"}]}";
    List<byte[]> blobs = new java.util.ArrayList<>(deb.blobs());
    blobs.add(
        TestLayers.tarGz(
            TestLayers.Entry.dir("usr"),
            TestLayers.Entry.dir("usr/share"),
            TestLayers.Entry.dir("usr/share/sbom"),
            TestLayers.Entry.file("usr/share/sbom/vendor.spdx.json", inTree)));
    debian = push("layers/debian", blobs);
    // An SBOM the layer image carries as a referrer, as a layer publisher would attach it.
    OciRepository debianRepo = client.repository(debian.image());
    Referrers.push(
        debianRepo,
        new Descriptor(
            MediaTypes.OCI_MANIFEST,
            debian.digest(),
            debianRepo.manifestBytes(debian.digest()).length),
        Sbom.MEDIA_TYPE,
        "layer.spdx.json",
        ("{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"SPDXID\":\"SPDXRef-r\",\"name\":"
                + "\"referred-pkg\",\"versionInfo\":\"9.9\"}]}")
            .getBytes(UTF_8));
  }

  @AfterAll
  static void stop() throws Exception {
    registry.close();
  }

  private static BuildPlan.LayerRef push(String repoName, List<byte[]> blobs) throws Exception {
    OciRepository repo = client.repository(registry.host() + "/" + repoName);
    Descriptor index = TestLayers.pushImage(repo, "1", Map.of("amd64", blobs));
    Descriptor manifest =
        ImageIndex.parse(repo.manifestBytes(index.digest()))
            .select(Platform.linux("amd64"))
            .orElseThrow();
    return new BuildPlan.LayerRef(
        repoName.substring(repoName.indexOf('/') + 1), repo.name(), manifest.digest());
  }

  static BuildPlan plan(String repository) {
    return new BuildPlan(
        "supply",
        INPUT,
        Map.of("amd64", new BuildPlan.ArchPlan(kernel, List.of(debian))),
        new BuildPlan.KernelPlan("kernel", "kernel.tar", "console=ttyS0"),
        null,
        List.of(OutputFormat.KERNEL_INITRD),
        Compression.gzip,
        0,
        new BuildPlan.OutputPlan(repository, null),
        null);
  }

  record Pushed(BuildPlan plan, String index, String manifest, Path out) {}

  Pushed build(String name) throws Exception {
    String repository = registry.host() + "/images/" + name;
    BuildPlan plan = plan(repository);
    Builder builder = new Builder(client, Files.createTempDirectory(tmp, "spool"), s -> {});
    Path out = tmp.resolve(name + "-out");
    BuildResult result = builder.push(plan, builder.assemble(plan, "amd64", out));
    Descriptor index =
        IndexPublisher.publish(
            client.repository(repository),
            Map.of("amd64", IndexPublisher.Entry.of(result)),
            List.of("v1"));
    return new Pushed(plan, index.digest(), result.manifestDigest(), out);
  }

  @Test
  void sbomListsTheDpkgPackagesWithTheirVersionsAndPyspdxtoolsAcceptsIt() throws Exception {
    Pushed p = build("sbom");
    Path sbom = p.out().resolve(Sbom.FILE);
    SupplyTools.Run validated = SupplyTools.run(SupplyTools.PYSPDXTOOLS, "-i", sbom.toString());
    assertThat(validated.exit()).as(validated.out()).isZero();

    // dpkg itself reads the layer's status database: the SBOM must list the same packages.
    Path admin = Files.createDirectories(tmp.resolve("dpkg"));
    Files.writeString(admin.resolve("status"), dpkgStatus);
    Files.createDirectories(admin.resolve("info"));
    Files.createDirectories(admin.resolve("updates"));
    Set<String> fromDpkg =
        new TreeSet<>(
            new String(
                    DebianLayer.exec(
                        tmp,
                        "dpkg-query",
                        "--admindir=" + admin,
                        "-W",
                        "-f=${Package}=${Version}\\n"),
                    UTF_8)
                .lines()
                .toList());
    JsonNode doc = JSON.readTree(Files.readAllBytes(sbom));
    Set<String> fromSbom = new TreeSet<>();
    for (JsonNode pkg : doc.path("packages")) {
      String purl = pkg.path("externalRefs").path(0).path("referenceLocator").asText();
      if (purl.startsWith("pkg:deb/debian/")) {
        fromSbom.add(pkg.path("name").asText() + "=" + pkg.path("versionInfo").asText());
      }
    }
    assertThat(fromDpkg).hasSize(2);
    assertThat(fromSbom).isEqualTo(fromDpkg);
    assertThat(doc.path("packages").findValuesAsText("name"))
        .contains("vendor-tool", "referred-pkg", "kernel");
    assertThat(doc.path("packages").findValuesAsText("versionInfo"))
        .contains("6.1.0-test-amd64", "1.2.3", "9.9", kernel.digest(), debian.digest());
    assertThat(doc.path("files").findValuesAsText("fileName"))
        .containsExactly("./kernel", "./kernel.tar");

    // Pushed as a referrer of the manifest, byte for byte the file.
    OciRepository repo = client.repository(p.plan().output().repository());
    List<Descriptor> referrers = Referrers.list(repo, p.manifest(), Sbom.MEDIA_TYPE);
    assertThat(referrers).hasSize(1);
    assertThat(Referrers.content(repo, referrers.get(0), 1 << 20))
        .isEqualTo(Files.readAllBytes(sbom));

    // Reproducible: another build writes the same bytes.
    Pushed again = build("sbom-again");
    assertThat(Files.readAllBytes(again.out().resolve(Sbom.FILE)))
        .isEqualTo(Files.readAllBytes(sbom));
  }

  @Test
  void cosignVerifiesTheSignaturesAndProvenanceAndRejectsOtherKeysAndTampering() throws Exception {
    Pushed p = build("signed");
    SigningKeys.KeyPair key = newKey();
    Path pub = tmp.resolve("key.pub");
    Files.writeString(pub, SigningKeys.publicPem(key.publicKey()));
    OciRepository repo = client.repository(p.plan().output().repository());
    BuildSigning.sign(
        repo,
        key,
        new Provenance.Build(
            repo.name(),
            p.index(),
            Map.of("amd64", p.manifest()),
            Map.of("amd64", "amd64"),
            Map.of(),
            Map.of("architectures", List.of("amd64")),
            p.plan(),
            registry.host() + "/lamina@sha256:" + "2".repeat(64)));
    String name = repo.name();

    for (String digest : List.of(p.index(), p.manifest())) {
      SupplyTools.Run verified = SupplyTools.cosignVerify(pub, name + "@" + digest);
      assertThat(verified.exit()).as(verified.out()).isZero();
      SupplyTools.Run attested = SupplyTools.cosignVerifyAttestation(pub, name + "@" + digest);
      assertThat(attested.exit()).as(attested.out()).isZero();
    }
    SupplyTools.Run byTag = SupplyTools.cosignVerify(pub, name + ":v1");
    assertThat(byTag.exit()).as(byTag.out()).isZero();

    // A signature by another key does not verify.
    Path otherPub = tmp.resolve("other.pub");
    Files.writeString(otherPub, SigningKeys.publicPem(newKey().publicKey()));
    SupplyTools.Run other = SupplyTools.cosignVerify(otherPub, name + "@" + p.index());
    assertThat(other.exit()).as(other.out()).isNotZero();
    SupplyTools.Run otherAtt =
        SupplyTools.cosignVerifyAttestation(otherPub, name + "@" + p.index());
    assertThat(otherAtt.exit()).as(otherAtt.out()).isNotZero();

    // A tampered index that carries the real index's signatures does not verify either.
    byte[] indexBytes = repo.manifestBytes(p.index());
    ImageIndex index = ImageIndex.parse(indexBytes);
    byte[] tampered = ImageIndex.of(index.manifests(), Map.of("tampered", "yes")).toJson();
    Descriptor bad = repo.pushManifest(tampered, MediaTypes.OCI_INDEX, "v1");
    for (String tag :
        List.of(
            CosignArtifacts.signatureTag(p.index()), CosignArtifacts.attestationTag(p.index()))) {
      Descriptor sig = repo.resolveTag(tag).orElseThrow();
      repo.pushManifest(
          repo.manifestBytes(sig.digest()),
          MediaTypes.OCI_MANIFEST,
          tag.replace(p.index().replace(':', '-'), bad.digest().replace(':', '-')));
    }
    SupplyTools.Run tamperedRun = SupplyTools.cosignVerify(pub, name + ":v1");
    assertThat(tamperedRun.exit()).as(tamperedRun.out()).isNotZero();
    SupplyTools.Run tamperedAtt = SupplyTools.cosignVerifyAttestation(pub, name + ":v1");
    assertThat(tamperedAtt.exit()).as(tamperedAtt.out()).isNotZero();
  }

  @Test
  void laminaReadsWhatCosignSigns() throws Exception {
    Pushed p = build("cosign-signed");
    SupplyTools.Run gen =
        SupplyTools.run(
            SupplyTools.COSIGN,
            "generate-key-pair",
            "--output-key-prefix",
            tmp.resolve("cosign").toString());
    assertThat(gen.exit()).as(gen.out()).isZero();
    String ref = p.plan().output().repository() + "@" + p.manifest();
    SupplyTools.Run signed =
        SupplyTools.run(
            SupplyTools.COSIGN,
            "sign",
            "--yes",
            "--key",
            tmp.resolve("cosign.key").toString(),
            "--tlog-upload=false",
            "--allow-http-registry",
            ref);
    assertThat(signed.exit()).as(signed.out()).isZero();
    OciRepository repo = client.repository(p.plan().output().repository());
    var keys =
        List.of(SigningKeys.publicKey(Files.readString(tmp.resolve("cosign.pub")), "cosign.pub"));
    List<CosignArtifacts.Entry> entries =
        CosignArtifacts.read(repo, CosignArtifacts.signatureTag(p.manifest()));
    assertThat(entries).anyMatch(e -> CosignArtifacts.signs(e, p.manifest(), keys));
    assertThat(entries).noneMatch(e -> CosignArtifacts.signs(e, p.index(), keys));
    var otherKey = List.of(newKey().publicKey());
    assertThat(entries).noneMatch(e -> CosignArtifacts.signs(e, p.manifest(), otherKey));
  }

  @Test
  void laminaVerifyConfirmsARebuildAndNamesATamperedArtifact() throws Exception {
    Pushed p = build("verified");
    SigningKeys.KeyPair key = newKey();
    Path pub = tmp.resolve("verify.pub");
    Files.writeString(pub, SigningKeys.publicPem(key.publicKey()));
    OciRepository repo = client.repository(p.plan().output().repository());
    BuildSigning.sign(
        repo,
        key,
        new Provenance.Build(
            repo.name(),
            p.index(),
            Map.of("amd64", p.manifest()),
            Map.of(),
            Map.of(),
            Map.of(),
            p.plan(),
            null));
    String ref = repo.name() + ":v1";
    SupplyTools.Cli ok =
        SupplyTools.lamina(
            "verify", ref, "--key", pub.toString(), "--insecure-registry", registry.host());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out())
        .contains("match   amd64 initrd.img", "match   amd64 sbom.spdx.json", "verified " + ref);

    // Signed by another key: not trusted.
    Path otherPub = tmp.resolve("other-verify.pub");
    Files.writeString(otherPub, SigningKeys.publicPem(newKey().publicKey()));
    SupplyTools.Cli untrusted =
        SupplyTools.lamina(
            "verify", ref, "--key", otherPub.toString(), "--insecure-registry", registry.host());
    assertThat(untrusted.exit()).isEqualTo(2);
    assertThat(untrusted.err()).contains("not signed by the given key");

    // Someone swaps the initrd, re-tags v1 and copies the provenance over.
    ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(p.manifest()));
    List<Descriptor> layers = new java.util.ArrayList<>(manifest.layers());
    Descriptor initrd = layers.get(1);
    byte[] evil = "not the initrd".getBytes(UTF_8);
    Descriptor evilBlob = TestLayers.pushBlob(repo, evil, initrd.mediaType());
    layers.set(
        1,
        new Descriptor(
            initrd.mediaType(), evilBlob.digest(), evil.length, initrd.annotations(), null, null));
    byte[] evilManifest =
        new ImageManifest(
                manifest.mediaType(),
                manifest.artifactType(),
                manifest.config(),
                layers,
                manifest.annotations())
            .toJson();
    Descriptor evilManifestDesc = repo.pushManifest(evilManifest, MediaTypes.OCI_MANIFEST, null);
    Descriptor evilIndex =
        IndexPublisher.publish(
            repo,
            Map.of("amd64", new IndexPublisher.Entry(evilManifestDesc.digest(), null)),
            List.of("v1"));
    Descriptor att = repo.resolveTag(CosignArtifacts.attestationTag(p.index())).orElseThrow();
    repo.pushManifest(
        repo.manifestBytes(att.digest()),
        MediaTypes.OCI_MANIFEST,
        CosignArtifacts.attestationTag(evilIndex.digest()));
    SupplyTools.Cli caught =
        SupplyTools.lamina(
            "verify", ref, "--key", pub.toString(), "--insecure-registry", registry.host());
    assertThat(caught.exit()).as(caught.out()).isEqualTo(1);
    assertThat(caught.out())
        .contains(
            "DIFFERS amd64 initrd.img pushed " + evilBlob.digest(),
            "match   amd64 kernel",
            "DIFFERS amd64 manifest");
    assertThat(caught.err()).contains("amd64/initrd.img").doesNotContain("amd64/kernel,");
  }

  @Test
  void laminaCheckWithSignaturesDeniesALayerNotSignedByATrustedKey() throws Exception {
    SigningKeys.KeyPair key = newKey();
    OciRepository kernelRepo = client.repository(kernel.image());
    CosignArtifacts.sign(kernelRepo, kernelRepo.name(), kernel.digest(), key);
    String pem = SigningKeys.publicPem(key.publicKey()).replace("\n", "\n          ");
    Path yaml = tmp.resolve("check.yaml");
    Files.writeString(
        yaml,
        "apiVersion: lamina.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: signed}\n"
            + "spec:\n  trust:\n    publicKeys:\n      - |\n          "
            + pem.strip()
            + "\n---\napiVersion: lamina.dev/v1alpha1\nkind: Layer\nmetadata: {name: kernel}\n"
            + "spec: {image: \""
            + kernel.image()
            + "@"
            + kernel.digest()
            + "\"}\n---\napiVersion: lamina.dev/v1alpha1\nkind: Layer\nmetadata: {name: debian}\n"
            + "spec: {image: \""
            + debian.image()
            + "@"
            + debian.digest()
            + "\"}\n");
    SupplyTools.Cli offline = SupplyTools.lamina("check", "-f", yaml.toString());
    assertThat(offline.out()).doesNotContain("LMN014  Deny");
    SupplyTools.Cli checked =
        SupplyTools.lamina(
            "check", "-f", yaml.toString(), "--signatures", "--insecure-registry", registry.host());
    assertThat(checked.exit()).as(checked.out() + checked.err()).isEqualTo(1);
    assertThat(checked.out())
        .containsPattern("Layer default/debian +LMN012 +Warn")
        .containsPattern("Layer default/debian +LMN014 +Deny")
        .doesNotContainPattern("Layer default/kernel +LMN01[24]");
  }

  public static SigningKeys.KeyPair newKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    java.security.KeyPair k = g.generateKeyPair();
    return new SigningKeys.KeyPair(k.getPrivate(), k.getPublic());
  }
}

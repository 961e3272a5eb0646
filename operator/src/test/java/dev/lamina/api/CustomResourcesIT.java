package dev.lamina.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.KubectlResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The CRDs in crds/ on a real apiserver: installed, validating, printing and grouped. */
@ExtendWith(ControlPlaneExtension.class)
class CustomResourcesIT {
  private static final String API_VERSION = Lamina.GROUP + "/" + Lamina.VERSION;
  private static String namespace;

  @BeforeAll
  static void createNamespace(ControlPlane cluster) {
    namespace = cluster.newNamespace("crds");
  }

  @Test
  void everyCrdInTheRepositoryIsEstablished(ControlPlane cluster) throws Exception {
    List<String> files;
    try (Stream<Path> list = Files.list(cluster.repoRoot().resolve("crds"))) {
      files = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).toList();
    }
    assertThat(files)
        .containsExactlyInAnyOrder(
            "imagepolicies.lamina.dev-v1.yml",
            "layers.lamina.dev-v1.yml",
            "osimages.lamina.dev-v1.yml");
    for (String file : files) {
      String name = file.substring(0, file.length() - "-v1.yml".length());
      CustomResourceDefinition crd =
          cluster.client().apiextensions().v1().customResourceDefinitions().withName(name).get();
      assertThat(crd).as(name).isNotNull();
      assertThat(crd.getStatus().getConditions())
          .as(name)
          .anySatisfy(
              c -> {
                assertThat(c.getType()).isEqualTo("Established");
                assertThat(c.getStatus()).isEqualTo("True");
              })
          .anySatisfy(
              c -> {
                assertThat(c.getType()).isEqualTo("NamesAccepted");
                assertThat(c.getStatus()).isEqualTo("True");
              });
    }
  }

  @Test
  void everySampleIsAcceptedByTheApiserver(ControlPlane cluster) throws Exception {
    List<Path> samples;
    try (Stream<Path> list = Files.list(cluster.repoRoot().resolve("samples"))) {
      samples = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(samples)
        .extracting(p -> p.getFileName().toString())
        .contains("layers.yaml", "osimage.yaml", "policy.yaml");
    for (Path sample : samples) {
      KubectlResult result =
          cluster.kubectl(
              "apply",
              "--dry-run=server",
              "-n",
              namespace,
              "-f",
              "samples/" + sample.getFileName());

      assertThat(result.exitCode()).as(result.toString()).isZero();
      long documents = Files.readString(sample).lines().filter(l -> l.startsWith("kind:")).count();
      assertThat(result.stdout().lines().filter(l -> l.endsWith("(server dry run)")))
          .as(result.toString())
          .hasSize((int) documents);
    }
  }

  /** Every container and file field LinuxKit users write, set the way LinuxKit's examples do. */
  static final String EVERY_CONTAINER_FIELD =
      """
      architectures: [amd64]
      kernel: {layer: kernel, cmdline: console=ttyS0, ucode: intel-ucode.cpio}
      init: [init, runc]
      onboot:
        - name: sysctl
          layer: sysctl
          capabilities: [CAP_SYS_ADMIN, CAP_NET_ADMIN]
          binds: [/etc/sysctl.d:/etc/sysctl.d:ro]
          net: host
          pid: host
          readonly: true
        - name: dhcpcd
          layer: dhcpcd
          command: [/sbin/dhcpcd, --nobackground, -f, /dhcpcd.conf, '-1']
          capabilities.add: [CAP_NET_RAW]
          binds.add: [/var/lib/dhcpcd:/var/lib/dhcpcd]
          runtime:
            mkdir: [/var/lib/dhcpcd]
            interfaces: [{name: eth0, add: veth, peer: veth0, createInRoot: true}]
            bindNS: {net: /run/netns/dhcpcd}
            namespace: services.linuxkit
            cgroups: [dhcpcd]
            mounts: [{type: bind, source: /var, destination: /var/run, options: [rbind]}]
      onshutdown:
        - {name: bye, layer: busybox, command: [/bin/echo, bye], ambient: [none]}
      services:
        - name: getty
          layer: getty
          env: [INSECURE=true]
          cwd: /root
          capabilities: [all]
          ambient: [CAP_NET_BIND_SERVICE]
          mounts: [{type: cgroup, options: [rw, nosuid]}]
          tmpfs: [/run:mode=0755, /tmp]
          devices: [{path: /dev/console, type: c, major: 5, minor: 1, mode: "0666"}, {path: all, type: b}]
          net: /run/netns/dhcpcd
          ipc: new
          uts: new
          hostname: edge
          maskedPaths: [/proc/kcore]
          readonlyPaths: [/proc/sys]
          uid: getty
          gid: 100
          additionalGids: [dhcpcd, 0, root]
          noNewPrivileges: true
          oomScoreAdj: -500
          rootfsPropagation: shared
          cgroupsPath: /lamina/getty
          sysctl: {net.ipv4.ip_forward: "1"}
          rlimits: ["nofile,1024,4096", "RLIMIT_CORE,unlimited,unlimited"]
          annotations: {org.example/role: console}
      files:
        - {path: etc/linuxkit.yml, metadata: yaml}
        - {path: etc/ssh/authorized_keys, source: {layer: keys, path: root/.ssh/id.pub}, optional: true, uid: getty, gid: root, mode: "0600"}
      """;

  @Test
  void imageWithEveryContainerFieldIsAccepted(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    GenericKubernetesResource object = new GenericKubernetesResource();
    object.setApiVersion(API_VERSION);
    object.setKind("OSImage");
    object.setMetadata(new ObjectMetaBuilder().withName("linuxkit").build());
    object.setAdditionalProperty(
        "spec", client.getKubernetesSerialization().unmarshal(EVERY_CONTAINER_FIELD, Map.class));

    GenericKubernetesResource created =
        client
            .genericKubernetesResources(API_VERSION, "OSImage")
            .inNamespace(namespace)
            .resource(object)
            .create();

    OSImage image =
        client.resources(OSImage.class).inNamespace(namespace).withName("linuxkit").get();
    assertThat(created.getMetadata().getUid()).isNotBlank();
    assertThat(image.getSpec().getServices().get(0).getUid()).isEqualTo(IdRef.of("getty"));
    assertThat(image.getSpec().getServices().get(0).getAdditionalGids())
        .containsExactly(IdRef.of("dhcpcd"), IdRef.of(0), IdRef.of("root"));
    assertThat(image.getSpec().getOnboot().get(1).getBindsAdd())
        .containsExactly("/var/lib/dhcpcd:/var/lib/dhcpcd");
    assertThat(image.getSpec().layerNames())
        .containsExactly("kernel", "init", "runc", "sysctl", "dhcpcd", "busybox", "getty", "keys");
  }

  static Stream<Arguments> invalidObjects() {
    return Stream.of(
        invalid(
            "unknown architecture",
            "OSImage",
            "architectures: [riscv64]\nkernel: {layer: kernel}",
            "spec.architectures[0]",
            "Unsupported value: \"riscv64\""),
        invalid(
            "unknown format",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\nformats: [iso9660]",
            "spec.formats[0]",
            "Unsupported value: \"iso9660\""),
        invalid(
            "tag in output.repository",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "output: {repository: 'registry.example.com/os/edge:1.0'}",
            "spec.output.repository",
            "must not carry a tag or digest"),
        invalid(
            "file path leaving the root",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: 'etc/../../root/.ssh/authorized_keys', contents: key}]",
            "spec.files[0].path",
            "must not contain '..'"),
        invalid(
            "duplicate architectures",
            "OSImage",
            "architectures: [amd64, amd64]\nkernel: {layer: kernel}",
            "spec.architectures",
            "architectures must be unique"),
        invalid(
            "kernel+initrd without a kernel",
            "OSImage",
            "architectures: [amd64]\nformats: [kernel+initrd]",
            "spec.kernel",
            "kernel.layer is required"),
        invalid(
            "negative sourceDateEpoch",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\nsourceDateEpoch: -1",
            "spec.sourceDateEpoch",
            "greater than or equal to 0"),
        invalid(
            "build limit of zero bytes",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "build: {limits: {maxUncompressedBytes: '0'}}",
            "spec.build.limits.maxUncompressedBytes",
            "must be a positive size"),
        invalid(
            "build limit that is not a size",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "build: {limits: {maxUncompressedBytes: 8 gigabytes}}",
            "spec.build.limits.maxUncompressedBytes",
            "must be a positive size"),
        invalid(
            "negative build limit",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "build: {limits: {maxUncompressedBytes: -5}}",
            "spec.build.limits.maxUncompressedBytes",
            "must be a positive size"),
        invalid(
            "build limit of no entries",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\nbuild: {limits: {maxEntries: 0}}",
            "spec.build.limits.maxEntries",
            "greater than or equal to 1"),
        invalid(
            "malformed image reference",
            "Layer",
            "image: 'ghcr.io/Lamina/busybox::1.37'",
            "spec.image",
            "should match"),
        invalid(
            "file mode that is not octal",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: etc/motd, contents: hi, mode: '0999'}]",
            "spec.files[0].mode",
            "should match"),
        invalid(
            "file mode with a digit that is not octal",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: bin/su, mode: '99999'}]",
            "spec.files[0].mode",
            "should match"),
        invalid(
            "file mode in YAML 1.2 octal notation",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: bin/su, mode: '0o4755'}]",
            "spec.files[0].mode",
            "should match"),
        invalid(
            "file mode as a number",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: bin/su, mode: 4755}]",
            "spec.files[0].mode",
            "must be of type string"),
        invalid(
            "empty file path",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: '', contents: x}]",
            "spec.files[0].path",
            "at least 1 chars long"),
        invalid(
            "file path with NUL",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: \"etc/passwd\\0x\", contents: x}]",
            "spec.files[0].path",
            "path must not contain NUL"),
        invalid(
            "negative file uid",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n" + "files: [{path: a, uid: -1}]",
            "spec.files",
            "must each be a number from 0 to 4294967294"),
        invalid(
            "unknown compression",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\ncompression: lz4",
            "spec.compression",
            "Unsupported value: \"lz4\""),
        invalid(
            "unsupported platform",
            "Layer",
            "image: ghcr.io/lamina-dev/layers/busybox:1.37.0\nplatforms: [linux/riscv64]",
            "spec.platforms",
            "linux/amd64 or linux/arm64"),
        invalid(
            "directory with contents",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: var/lib/app, directory: true, contents: x}]",
            "spec.files[0].contents",
            "only allowed for regular files"),
        invalid(
            "absolute kernel binary path",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel, binary: /boot/vmlinuz}",
            "spec.kernel.binary",
            "relative path"),
        invalid(
            "two containers with the same name",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "onboot: [{name: net, layer: dhcpcd}]\n"
                + "services: [{name: getty, layer: getty}, {name: net, layer: sshd}]",
            "spec",
            "container name net is used more than once"),
        invalid(
            "a container without a layer",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\nservices: [{name: getty}]",
            "spec.services[0].layer",
            "Required value"),
        invalid(
            "a capability that does not exist",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "services: [{name: s, layer: l, capabilities: [CAP_NET_ADMIN, CAP_FLY]}]",
            "spec.services[0].capabilities",
            "unknown capability CAP_FLY"),
        invalid(
            "all beside other capabilities",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "onboot: [{name: s, layer: l, ambient: [all, CAP_SYS_ADMIN]}]",
            "spec.onboot[0].ambient",
            "unknown capability all"),
        invalid(
            "a bind source leaving the image",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "services: [{name: s, layer: l, binds: ['/var/../../etc:/etc:ro']}]",
            "spec.services[0].binds[0]",
            "Invalid value: \"/var/../../etc:/etc:ro\""),
        invalid(
            "a relative bind source",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "onshutdown: [{name: s, layer: l, binds.add: ['etc:/etc']}]",
            "spec.onshutdown[0].binds.add[0]",
            "Invalid value: \"etc:/etc\""),
        invalid(
            "a namespace that is neither host, new nor a path",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "services: [{name: s, layer: l, pid: shared}]",
            "spec.services[0].pid",
            "should match"),
        invalid(
            "a uid naming no container",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "services: [{name: s, layer: l, uid: nobody}]",
            "spec.services",
            "the name of one of this image's containers"),
        invalid(
            "a file owner naming no container",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: etc/x, contents: x, gid: sshd}]",
            "spec.files",
            "the name of one of this image's containers"),
        invalid(
            "an rlimit that does not exist",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "services: [{name: s, layer: l, rlimits: ['files,10,20']}]",
            "spec.services[0].rlimits",
            "known limit name"),
        invalid(
            "a file with both a source and contents",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: etc/x, contents: x, source: {layer: l, path: etc/x}}]",
            "spec.files[0].source",
            "a file with a source has no contents"),
        invalid(
            "an optional file without a source",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: etc/x, contents: x, optional: true}]",
            "spec.files[0].optional",
            "only allowed with a source"),
        invalid(
            "an unknown metadata format",
            "OSImage",
            "architectures: [amd64]\nkernel: {layer: kernel}\n"
                + "files: [{path: etc/linuxkit.yml, metadata: toml}]",
            "spec.files[0].metadata",
            "Unsupported value: \"toml\""),
        invalid(
            "policy rule ID that is not LMNnnn",
            "ImagePolicy",
            "rules: {no-latest: Deny}",
            "spec.rules",
            "rule IDs look like LMN001"),
        invalid(
            "duplicate custom rule names",
            "ImagePolicy",
            "customRules: [{name: pinned, expression: 'true'},"
                + " {name: pinned, expression: 'false'}]",
            "spec.customRules",
            "custom rule names must be unique"));
  }

  private static Arguments invalid(
      String what, String kind, String specYaml, String field, String message) {
    return Arguments.of(what, kind, specYaml, field, message);
  }

  @ParameterizedTest(name = "{0} is rejected naming {3}")
  @MethodSource("invalidObjects")
  void invalidObjectIsRejectedNamingTheField(
      String what,
      String kind,
      String specYaml,
      String field,
      String message,
      ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    GenericKubernetesResource object = new GenericKubernetesResource();
    object.setApiVersion(API_VERSION);
    object.setKind(kind);
    object.setMetadata(new ObjectMetaBuilder().withName("invalid").build());
    object.setAdditionalProperty(
        "spec", client.getKubernetesSerialization().unmarshal(specYaml, Map.class));
    var resources = client.genericKubernetesResources(API_VERSION, kind);

    KubernetesClientException rejected =
        catchThrowableOfType(
            KubernetesClientException.class,
            () ->
                (kind.equals("ImagePolicy") ? resources : resources.inNamespace(namespace))
                    .resource(object)
                    .dryRun()
                    .create());

    assertThat(rejected).as(what + " was accepted").isNotNull();
    assertThat(rejected.getCode()).as(rejected.getMessage()).isEqualTo(422);
    List<StatusCause> causes = rejected.getStatus().getDetails().getCauses();
    assertThat(causes)
        .as(rejected.getStatus().getMessage())
        .anySatisfy(
            c -> {
              assertThat(c.getField()).isEqualTo(field);
              assertThat(c.getMessage()).contains(message);
            });
    assertThat(rejected.getStatus().getMessage()).contains(field);
  }

  @Test
  void statusWriteDoesNotBumpGeneration(KubernetesClient client) {
    var osimages = client.resources(OSImage.class).inNamespace(namespace);
    OSImage created = osimages.resource(osImage("status-generation")).create();
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);

    OSImageStatus status = new OSImageStatus();
    status.setPhase(Phase.Building);
    status.setObservedGeneration(1L);
    status.setMessage("Building amd64.");
    created.setStatus(status);
    OSImage afterStatus = osimages.resource(created).updateStatus();

    assertThat(afterStatus.getStatus().getPhase()).isEqualTo(Phase.Building);
    assertThat(afterStatus.getMetadata().getResourceVersion())
        .isNotEqualTo(created.getMetadata().getResourceVersion());
    assertThat(afterStatus.getMetadata().getGeneration()).isEqualTo(1L);

    // The same client and object do bump it through the main resource: the check above can fail.
    afterStatus.getSpec().getKernel().setCmdline("console=ttyS0 quiet");
    OSImage afterSpec = osimages.resource(afterStatus).update();
    assertThat(afterSpec.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void serverSideTableShowsTheOsImagePrinterColumns(KubernetesClient client) throws Exception {
    var osimages = client.resources(OSImage.class).inNamespace(namespace);
    OSImage created = osimages.resource(osImage("table")).create();
    OSImageStatus status = new OSImageStatus();
    status.setPhase(Phase.Ready);
    status.setArchitectureList("amd64,arm64");
    status.setDigest("sha256:" + "ab".repeat(32));
    PolicyStatus policy = new PolicyStatus();
    policy.setVerdict(PolicyVerdict.Warn);
    status.setPolicy(policy);
    created.setStatus(status);
    osimages.resource(created).updateStatus();

    HttpRequest request =
        client
            .getHttpClient()
            .newHttpRequestBuilder()
            .uri(
                client.getMasterUrl()
                    + "apis/"
                    + API_VERSION
                    + "/namespaces/"
                    + namespace
                    + "/osimages/table")
            .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
            .build();
    HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class).get();
    assertThat(response.code()).as(response.body()).isEqualTo(200);
    JsonNode table = new ObjectMapper().readTree(response.body());

    assertThat(table.path("kind").asText()).isEqualTo("Table");
    List<String> columns = new ArrayList<>();
    table.path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText()));
    assertThat(columns)
        .containsExactlyInAnyOrder(
            "Name", "Phase", "Architectures", "Digest", "Policy", "Reason", "Message", "Age");
    JsonNode cells = table.path("rows").get(0).path("cells");
    assertThat(cells.get(columns.indexOf("Name")).asText()).isEqualTo("table");
    assertThat(cells.get(columns.indexOf("Phase")).asText()).isEqualTo("Ready");
    assertThat(cells.get(columns.indexOf("Architectures")).asText()).contains("amd64", "arm64");
    assertThat(cells.get(columns.indexOf("Digest")).asText()).isEqualTo(status.getDigest());
    assertThat(cells.get(columns.indexOf("Policy")).asText()).isEqualTo("Warn");
  }

  @Test
  void kubectlGetLaminaListsAllThreeKinds(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    Layer layer = new Layer();
    layer.setMetadata(new ObjectMetaBuilder().withName("busybox").build());
    layer.setSpec(new LayerSpec("ghcr.io/lamina-dev/layers/busybox:1.37.0"));
    client.resources(Layer.class).inNamespace(namespace).resource(layer).create();
    client.resources(OSImage.class).inNamespace(namespace).resource(osImage("category")).create();
    // Cluster-scoped and seen by every other test of the run, so it selects nothing.
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(namespace + "-category").build());
    ImagePolicySpec policySpec = new ImagePolicySpec();
    policySpec.setObjectSelector(
        new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
            .addToMatchLabels("lamina.dev/selected-by", namespace)
            .build());
    policy.setSpec(policySpec);
    client.resources(ImagePolicy.class).resource(policy).create();
    try {
      KubectlResult result = cluster.kubectl("get", "lamina", "-A", "-o", "name");

      assertThat(result.exitCode()).as(result.toString()).isZero();
      assertThat(result.stdout().lines())
          .as(result.toString())
          .contains(
              "layer.lamina.dev/busybox",
              "osimage.lamina.dev/category",
              "imagepolicy.lamina.dev/" + namespace + "-category");
    } finally {
      client.resources(ImagePolicy.class).resource(policy).delete();
    }
  }

  private static OSImage osImage(String name) {
    OSImageSpec spec = new OSImageSpec();
    spec.setArchitectures(List.of(Architecture.amd64, Architecture.arm64));
    KernelSpec kernel = new KernelSpec();
    kernel.setLayer("kernel");
    spec.setKernel(kernel);
    spec.setInit(List.of("busybox"));
    OSImage image = new OSImage();
    image.setMetadata(new ObjectMetaBuilder().withName(name).build());
    image.setSpec(spec);
    return image;
  }
}

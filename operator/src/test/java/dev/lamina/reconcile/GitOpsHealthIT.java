package dev.lamina.reconcile;

import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Architecture;
import dev.lamina.api.BuildSpec;
import dev.lamina.api.Conditions;
import dev.lamina.api.CustomRule;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyAction;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What GitOps tools make of Lamina's objects in each state, judged by the tools' own code: real
 * objects, written by the operator on the real control plane, go through kstatus (Flux's and kpt's
 * status reader, sigs.k8s.io/cli-utils, built by hack/build-kstatus.sh) and through
 * deploy/argocd/health.lua in Debian's Lua interpreter, as Argo CD runs it.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GitOpsHealthIT {
  static final Duration WAIT = Duration.ofSeconds(90);
  static final Path KSTATUS =
      Path.of(System.getenv().getOrDefault("LAMINA_KSTATUS", "/opt/lamina/bin/lamina-kstatus"));
  static final Path ARGOCD =
      Path.of(System.getProperty("user.dir")).resolveSibling("deploy/argocd");

  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;
  LocalNodeAgent amd64Only;
  final ObjectMapper mapper = new ObjectMapper();

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    assertThat(KSTATUS)
        .as("the kstatus helper; build it with hack/build-kstatus.sh (hack/install-deps.sh does)")
        .isExecutable();
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, false);
    // Only an amd64 node: an arm64 image waits for a node that never comes.
    amd64Only =
        new LocalNodeAgent(
            client,
            List.of("amd64"),
            Path.of(System.getProperty("lamina.jar", "lamina.jar")),
            Files.createTempDirectory("lamina-node"));
    amd64Only.start();
  }

  @AfterAll
  void stop() throws Exception {
    if (amd64Only != null) {
      amd64Only.close();
    }
    if (env != null) {
      env.close();
    }
  }

  /** One object as the operator left it, and what each tool must say about it. */
  record Case(String label, HasMetadata object, String kstatus, String argo) {}

  @Test
  void eachStateReadsAsItsKstatusAndArgoHealth(@TempDir Path tmp) throws Exception {
    String ns = cluster.newNamespace("gitops");
    env.layers(ns, "1");
    List<Case> cases = new ArrayList<>();

    cases.add(
        new Case(
            "Layer resolved",
            until(() -> layer(ns, "kernel"), l -> readyIs(l, "True")),
            "Current",
            "Healthy"));
    client
        .resource(OperatorTestSupport.layer(ns, "ghost", env.image(ns + "/ghost") + ":v1"))
        .create();
    cases.add(
        new Case(
            "Layer whose image does not exist",
            until(() -> layer(ns, "ghost"), l -> readyReason(l).equals("ImageNotFound")),
            "Failed",
            "Degraded"));

    OSImage waiting = osImage(ns, "waiting", List.of(Architecture.amd64), out(ns), "quiet");
    waiting.getSpec().setInit(List.of("base", "absent"));
    client.resource(waiting).create();
    cases.add(
        new Case(
            "OSImage waiting for a Layer that does not exist yet",
            until(() -> image(ns, "waiting"), o -> phase(o) == Phase.Pending),
            "InProgress",
            "Progressing"));

    OSImage ghostly = osImage(ns, "ghostly", List.of(Architecture.amd64), out(ns), "quiet");
    ghostly.getSpec().setInit(List.of("ghost"));
    client.resource(ghostly).create();
    cases.add(
        new Case(
            "OSImage waiting for a Layer whose image does not exist",
            until(
                () -> image(ns, "ghostly"),
                o -> phase(o) == Phase.Pending && readyMessage(o).contains("ImageNotFound")),
            "Failed",
            "Degraded"));

    OSImage cached = osImage(ns, "cached", List.of(Architecture.amd64), out(ns), "cached");
    env.seedCache(ns, cached);
    client.resource(cached).create();
    cases.add(
        new Case(
            "OSImage Ready",
            until(() -> image(ns, "cached"), o -> phase(o) == Phase.Ready),
            "Current",
            "Healthy"));

    OSImage noOutput = osImage(ns, "no-output", List.of(Architecture.amd64), out(ns), "quiet");
    noOutput.getSpec().setOutput(null);
    client.resource(noOutput).create();
    cases.add(
        new Case(
            "OSImage without spec.output",
            until(() -> image(ns, "no-output"), o -> readyReason(o).equals("OutputMissing")),
            "Failed",
            "Degraded"));

    client.resource(osImage(ns, "arm", List.of(Architecture.arm64), out(ns), "quiet")).create();
    cases.add(
        new Case(
            "OSImage building (its pod not yet scheduled)",
            until(() -> image(ns, "arm"), o -> phase(o) == Phase.Building),
            "InProgress",
            "Progressing"));
    cases.add(
        new Case(
            "OSImage with no node for its architecture",
            until(() -> image(ns, "arm"), o -> readyReason(o).equals("NoNodeForArchitecture")),
            "Failed",
            "Degraded"));

    OSImage broken = osImage(ns, "broken", List.of(Architecture.amd64), out(ns), "quiet");
    broken.getSpec().getKernel().setBinary("no-such-kernel");
    BuildSpec once = new BuildSpec();
    once.setRetries(0);
    broken.getSpec().setBuild(once);
    client.resource(broken).create();
    cases.add(
        new Case(
            "OSImage Failed",
            until(() -> image(ns, "broken"), o -> phase(o) == Phase.Failed),
            "Failed",
            "Degraded"));

    String policyName = "gitops-block-" + ns;
    ImagePolicy deny = new ImagePolicy();
    deny.setMetadata(new ObjectMetaBuilder().withName(policyName).build());
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setObjectSelector(
        new LabelSelectorBuilder().addToMatchLabels("gitops-health", "blocked").build());
    CustomRule rule = new CustomRule();
    rule.setName("never");
    rule.setKinds(List.of("OSImage"));
    rule.setExpression("false");
    rule.setMessage("this image is blocked on purpose");
    rule.setAction(PolicyAction.Deny);
    spec.setCustomRules(List.of(rule));
    deny.setSpec(spec);
    client.resource(deny).create();
    ImagePolicy brokenPolicy = new ImagePolicy();
    brokenPolicy.setMetadata(new ObjectMetaBuilder().withName("gitops-broken-" + ns).build());
    ImagePolicySpec brokenSpec = new ImagePolicySpec();
    CustomRule brokenRule = new CustomRule();
    brokenRule.setName("broken");
    brokenRule.setExpression("object.spec.(");
    brokenSpec.setCustomRules(List.of(brokenRule));
    brokenPolicy.setSpec(brokenSpec);
    client.resource(brokenPolicy).create();
    try {
      cases.add(
          new Case(
              "ImagePolicy in force",
              until(() -> policy(policyName), p -> readyIs(p, "True")),
              "Current",
              "Healthy"));
      cases.add(
          new Case(
              "ImagePolicy that does not compile",
              until(() -> policy("gitops-broken-" + ns), p -> readyIs(p, "False")),
              "Failed",
              "Degraded"));
      OSImage blocked = osImage(ns, "blocked", List.of(Architecture.amd64), out(ns), "quiet");
      blocked.getMetadata().setLabels(Map.of("gitops-health", "blocked"));
      client.resource(blocked).create();
      cases.add(
          new Case(
              "OSImage Blocked by policy",
              until(() -> image(ns, "blocked"), o -> phase(o) == Phase.Blocked),
              "Failed",
              "Degraded"));
    } finally {
      client.resource(deny).delete();
      client.resource(brokenPolicy).delete();
    }

    Map<String, String> kstatus = kstatus(cases);
    Map<String, String> argo = argoHealth(cases, tmp);
    Map<String, String> expected = new LinkedHashMap<>();
    Map<String, String> actual = new LinkedHashMap<>();
    for (Case c : cases) {
      expected.put(c.label(), c.kstatus() + " / " + c.argo());
      actual.put(c.label(), kstatus.get(c.label()) + " / " + argo.get(c.label()));
    }
    assertThat(actual).containsExactlyEntriesOf(expected);
  }

  @Test
  void argoCdConfigMapHoldsTheTestedScriptForEachKind() throws IOException {
    String script = Files.readString(ARGOCD.resolve("health.lua"));
    JsonNode cm =
        new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readTree(ARGOCD.resolve("argocd-cm.yaml").toFile());
    for (String kind : List.of("OSImage", "Layer", "ImagePolicy")) {
      assertThat(cm.at("/data/resource.customizations.health.lamina.dev_" + kind).asText())
          .as(kind)
          .isEqualTo(script);
    }
  }

  /** kstatus's status per case, from the helper built from sigs.k8s.io/cli-utils. */
  Map<String, String> kstatus(List<Case> cases) throws Exception {
    List<Object> objects = new ArrayList<>();
    for (Case c : cases) {
      objects.add(mapper.readTree(client.getKubernetesSerialization().asJson(c.object())));
    }
    Process p = new ProcessBuilder(KSTATUS.toString()).redirectErrorStream(false).start();
    p.getOutputStream().write(mapper.writeValueAsBytes(objects));
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    JsonNode results = mapper.readTree(out);
    Map<String, String> byLabel = new LinkedHashMap<>();
    Iterator<JsonNode> it = results.elements();
    for (Case c : cases) {
      byLabel.put(c.label(), it.next().get("status").asText());
    }
    return byLabel;
  }

  /** Argo CD's health per case: deploy/argocd/health.lua run by lua5.4 over each object. */
  Map<String, String> argoHealth(List<Case> cases, Path tmp) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("lua5.4", ARGOCD.resolve("run-health.lua").toString()));
    Map<String, String> labelByFile = new LinkedHashMap<>();
    int i = 0;
    for (Case c : cases) {
      Path f = tmp.resolve("object-" + i++ + ".lua");
      JsonNode tree = mapper.readTree(client.getKubernetesSerialization().asJson(c.object()));
      Files.writeString(f, "return " + LuaTables.of(tree) + "\n");
      command.add(f.toString());
      labelByFile.put(f.toString(), c.label());
    }
    Process p = new ProcessBuilder(command).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    Map<String, String> byLabel = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] parts = line.split("\t", 3);
      byLabel.put(labelByFile.get(parts[0]), parts[1]);
    }
    return byLabel;
  }

  private <T extends HasMetadata> T until(Supplier<T> get, Predicate<T> state) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(get::get, o -> o != null && statusOf(o) != null && state.test(o));
  }

  private String out(String ns) {
    return env.image(ns + "/out");
  }

  private Layer layer(String ns, String name) {
    return client.resources(Layer.class).inNamespace(ns).withName(name).get();
  }

  private OSImage image(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  private ImagePolicy policy(String name) {
    return client.resources(ImagePolicy.class).withName(name).get();
  }

  private static Object statusOf(HasMetadata o) {
    if (o instanceof OSImage i) {
      return i.getStatus();
    }
    if (o instanceof Layer l) {
      return l.getStatus();
    }
    return ((ImagePolicy) o).getStatus();
  }

  private static List<io.fabric8.kubernetes.api.model.Condition> conditions(HasMetadata o) {
    if (o instanceof OSImage i) {
      return i.getStatus().getConditions();
    }
    if (o instanceof Layer l) {
      return l.getStatus().getConditions();
    }
    return ((ImagePolicy) o).getStatus().getConditions();
  }

  private static boolean readyIs(HasMetadata o, String value) {
    return Conditions.find(conditions(o), Conditions.READY)
        .map(c -> value.equals(c.getStatus()))
        .orElse(false);
  }

  private static String readyReason(HasMetadata o) {
    return Conditions.find(conditions(o), Conditions.READY).map(c -> c.getReason()).orElse("");
  }

  private static String readyMessage(HasMetadata o) {
    return Conditions.find(conditions(o), Conditions.READY).map(c -> c.getMessage()).orElse("");
  }

  private static Phase phase(OSImage o) {
    return o.getStatus().getPhase();
  }
}

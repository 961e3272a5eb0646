package dev.lamina.reconcile;

import static dev.lamina.reconcile.OperatorTestSupport.*;
import static dev.lamina.testing.TestObjects.osImage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.lamina.api.Architecture;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.CustomRule;
import dev.lamina.api.FileSpec;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicySpec;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyParameters;
import dev.lamina.api.PolicyResult;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.local.LocalNodeAgent;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Policy as a user sees it in a cluster: status.policy on Layers and OSImages, Blocked images that
 * build once fixed, ImagePolicy changes re-evaluating objects nobody touched, and CEL messages.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyOperatorIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration BUILD = Duration.ofMinutes(3);
  static final List<Architecture> BOTH = List.of(Architecture.amd64, Architecture.arm64);

  ControlPlane cluster;
  KubernetesClient client;
  OperatorHarness env;

  /** ImagePolicies are cluster-scoped: each test removes its own so no other test sees them. */
  final List<String> policies = new ArrayList<>();

  @BeforeAll
  void start(ControlPlane cluster) throws Exception {
    this.cluster = cluster;
    this.client = cluster.client();
    env = OperatorHarness.start(client, true);
  }

  @AfterEach
  void deletePolicies() {
    for (String name : policies) {
      client.resources(ImagePolicy.class).withName(name).delete();
    }
    policies.clear();
  }

  @AfterAll
  void stop() throws Exception {
    if (env != null) {
      env.close();
    }
  }

  Layer getLayer(String ns, String name) {
    return client.resources(Layer.class).inNamespace(ns).withName(name).get();
  }

  OSImage get(String ns, String name) {
    return client.resources(OSImage.class).inNamespace(ns).withName(name).get();
  }

  Layer readyLayer(String ns, String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Layer l = getLayer(ns, name);
              return l != null
                  && l.getStatus() != null
                  && Conditions.isTrue(l.getStatus().getConditions(), Conditions.READY);
            });
    return getLayer(ns, name);
  }

  /** The Layer once its status describes its current generation and carries a policy outcome. */
  Layer evaluatedLayer(String ns, String name, Predicate<PolicyStatus> until) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Layer l = getLayer(ns, name);
              return l != null
                  && l.getStatus() != null
                  && l.getStatus().getPolicy() != null
                  && l.getMetadata().getGeneration().equals(l.getStatus().getObservedGeneration())
                  && until.test(l.getStatus().getPolicy());
            });
    return getLayer(ns, name);
  }

  /** The OSImage once its status describes its current generation and satisfies {@code until}. */
  OSImage osImageWhen(String ns, String name, Duration atMost, Predicate<OSImage> until) {
    await()
        .atMost(atMost)
        .until(
            () -> {
              OSImage o = get(ns, name);
              return o != null
                  && o.getStatus() != null
                  && o.getStatus().getPolicy() != null
                  && o.getMetadata().getGeneration().equals(o.getStatus().getObservedGeneration())
                  && until.test(o);
            });
    return get(ns, name);
  }

  /** A policy that selects only the objects of {@code ns}, created and Ready. */
  ImagePolicy createPolicy(String ns, String name, ImagePolicySpec spec) {
    ImagePolicy policy = new ImagePolicy();
    policy.setMetadata(new ObjectMetaBuilder().withName(name).build());
    spec.setNamespaceSelector(
        new LabelSelectorBuilder().addToMatchLabels("kubernetes.io/metadata.name", ns).build());
    policy.setSpec(spec);
    policies.add(name);
    client.resource(policy).create();
    return awaitPolicyReady(name);
  }

  ImagePolicy awaitPolicyReady(String name) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              ImagePolicy p = client.resources(ImagePolicy.class).withName(name).get();
              return p.getStatus() != null
                  && p.getMetadata().getGeneration().equals(p.getStatus().getObservedGeneration())
                  && Conditions.isTrue(p.getStatus().getConditions(), Conditions.READY);
            });
    return client.resources(ImagePolicy.class).withName(name).get();
  }

  static CustomRule rule(
      String name, String expression, String messageExpression, PolicyAction action) {
    CustomRule r = new CustomRule();
    r.setName(name);
    r.setKinds(List.of("OSImage"));
    r.setExpression(expression);
    r.setMessageExpression(messageExpression);
    r.setAction(action);
    return r;
  }

  static Condition condition(List<Condition> conditions, String type) {
    return Conditions.find(conditions, type)
        .orElseThrow(() -> new AssertionError("no condition " + type));
  }

  /** Whether the status lists {@code policy} at {@code generation} among the policies applied. */
  static boolean applied(PolicyStatus status, ImagePolicy policy) {
    return status.getPolicies() != null
        && status.getPolicies().stream()
            .anyMatch(
                a ->
                    a.getName().equals(policy.getMetadata().getName())
                        && a.getGeneration().equals(policy.getMetadata().getGeneration()));
  }

  @Test
  void layerPolicyIsEvaluatedOnTheLayerItself() throws Exception {
    String ns = cluster.newNamespace("lyrpolicy");
    Descriptor index =
        pushLayerImage(
            env.repository(ns + "/base"),
            "v1",
            Map.of("amd64", baseFiles("amd64", "1"), "arm64", baseFiles("arm64", "1")));
    String tagged = env.image(ns + "/base") + ":v1";
    String pinned = env.image(ns + "/base") + "@" + index.digest();
    client.resource(layer(ns, "tagged", tagged)).create();
    client.resource(layer(ns, "pinned", pinned)).create();

    // No ImagePolicy selects these yet: the built-in defaults apply, LMN001 as a warning (and
    // LMN012, unsigned, also a warning, on every Layer here).
    PolicyStatus warned =
        evaluatedLayer(ns, "tagged", p -> p.getVerdict() == PolicyVerdict.Warn)
            .getStatus()
            .getPolicy();
    assertThat(warned.getResults().stream().filter(r -> !r.getRule().equals("LMN012")))
        .extracting(
            PolicyResult::getRule,
            PolicyResult::getAction,
            PolicyResult::getTarget,
            PolicyResult::getMessage)
        .containsExactly(
            tuple(
                "LMN001",
                PolicyAction.Warn,
                "spec.image",
                "image "
                    + tagged
                    + " is not pinned by digest; add @sha256:<digest> so every build pulls the same bytes"));
    assertThat(List.of(warned.getWarn(), warned.getDeny(), warned.getTotal()))
        .containsExactly(2, 0, 2);
    assertThat(warned.getPolicies()).isEmpty();
    Condition warnedPassed =
        condition(getLayer(ns, "tagged").getStatus().getConditions(), Conditions.POLICY_PASSED);
    assertThat(warnedPassed.getStatus()).isEqualTo("True");
    assertThat(warnedPassed.getReason()).isEqualTo("PolicyWarned");

    // Pinned passes LMN001; it is unsigned, which LMN012 reports (a warning by default).
    Layer clean = evaluatedLayer(ns, "pinned", p -> true);
    assertThat(clean.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Warn);
    assertThat(clean.getStatus().getPolicy().getResults())
        .extracting(PolicyResult::getRule)
        .containsExactly("LMN012");
    assertThat(condition(clean.getStatus().getConditions(), Conditions.POLICY_PASSED).getStatus())
        .isEqualTo("True");

    ImagePolicySpec spec = new ImagePolicySpec();
    PolicyParameters params = new PolicyParameters();
    params.setAllowedRegistries(List.of("ghcr.io", "registry.example.com:5000"));
    spec.setParameters(params);
    ImagePolicy policy = createPolicy(ns, "registries-" + ns, spec);

    // A Layer created after the policy, and the pinned one that existed before it.
    client.resource(layer(ns, "foreign", pinned)).create();
    for (String name : List.of("foreign", "pinned")) {
      Layer denied = evaluatedLayer(ns, name, p -> applied(p, policy));
      PolicyStatus p = denied.getStatus().getPolicy();
      assertThat(p.getVerdict()).isEqualTo(PolicyVerdict.Deny);
      assertThat(p.getResults())
          .extracting(
              PolicyResult::getRule,
              PolicyResult::getAction,
              PolicyResult::getTarget,
              PolicyResult::getMessage)
          .containsExactly(
              tuple(
                  "LMN002",
                  PolicyAction.Deny,
                  "spec.image",
                  "registry "
                      + env.registry.host()
                      + " of image "
                      + pinned
                      + " is not allowed; allowed: ghcr.io, registry.example.com:5000"));
      Condition passed = condition(denied.getStatus().getConditions(), Conditions.POLICY_PASSED);
      assertThat(passed.getStatus()).isEqualTo("False");
      assertThat(passed.getReason()).isEqualTo("PolicyDenied");
      assertThat(passed.getMessage()).contains("LMN002", env.registry.host());
    }
    // The tagged Layer now has both findings, Deny listed first.
    PolicyStatus both =
        evaluatedLayer(ns, "tagged", p -> applied(p, policy)).getStatus().getPolicy();
    assertThat(both.getResults())
        .extracting(PolicyResult::getRule, PolicyResult::getAction)
        .containsExactly(tuple("LMN002", PolicyAction.Deny), tuple("LMN001", PolicyAction.Warn));
    assertThat(List.of(both.getDeny(), both.getWarn(), both.getTotal())).containsExactly(1, 1, 2);
    assertThat(client.resources(OSImage.class).inNamespace(ns).list().getItems()).isEmpty();
  }

  @Test
  void denyBlocksThenAllowedBuilds() throws Exception {
    String ns = cluster.newNamespace("denybuild");
    env.layers(ns, "deny");
    readyLayer(ns, "kernel");
    readyLayer(ns, "base");
    ImagePolicySpec spec = new ImagePolicySpec();
    PolicyParameters params = new PolicyParameters();
    // lamina-rescue is no default: only this policy forbids it, in any value and either spelling.
    params.setForbiddenCmdline(List.of("init=/bin/sh", "lamina-rescue"));
    spec.setParameters(params);
    ImagePolicy policy = createPolicy(ns, "cmdline-" + ns, spec);
    String forbidden = "(forbidden: init=/bin/sh, lamina-rescue)";
    String out = env.image(ns + "/out");

    try (PodWatch pods = new PodWatch(client, ns)) {
      client
          .resource(osImage(ns, "edge", BOTH, out, "console=ttyS0 init=/bin/sh lamina_rescue=1"))
          .create();
      OSImage blocked =
          osImageWhen(ns, "edge", WAIT, o -> o.getStatus().getPhase() == Phase.Blocked);
      PolicyStatus p = blocked.getStatus().getPolicy();
      assertThat(p.getVerdict()).isEqualTo(PolicyVerdict.Deny);
      assertThat(p.getResults())
          .extracting(
              PolicyResult::getRule,
              PolicyResult::getAction,
              PolicyResult::getTarget,
              PolicyResult::getMessage)
          .containsExactly(
              tuple(
                  "LMN004",
                  PolicyAction.Deny,
                  "spec.kernel.cmdline",
                  "kernel command line has forbidden parameter init=/bin/sh " + forbidden),
              tuple(
                  "LMN004",
                  PolicyAction.Deny,
                  "spec.kernel.cmdline",
                  "kernel command line has forbidden parameter lamina_rescue=1 " + forbidden));
      assertThat(applied(p, policy)).isTrue();
      assertThat(
              condition(blocked.getStatus().getConditions(), Conditions.POLICY_PASSED).getStatus())
          .isEqualTo("False");
      Condition ready = condition(blocked.getStatus().getConditions(), Conditions.READY);
      assertThat(ready.getStatus()).isEqualTo("False");
      assertThat(ready.getReason()).isEqualTo("PolicyDenied");
      assertThat(blocked.getStatus().getDigest()).isNull();
      // Blocked stays Blocked: nothing is started behind the verdict's back.
      await()
          .during(Duration.ofSeconds(5))
          .atMost(Duration.ofSeconds(15))
          .until(() -> get(ns, "edge").getStatus().getPhase() == Phase.Blocked);
      assertThat(pods.archByPod).isEmpty();
      assertThat(
              client
                  .configMaps()
                  .inNamespace(ns)
                  .withLabel(BuildPodFactory.LABEL_OSIMAGE)
                  .list()
                  .getItems())
          .isEmpty();

      client
          .resources(OSImage.class)
          .inNamespace(ns)
          .withName("edge")
          .edit(
              o -> {
                o.getSpec().getKernel().setCmdline("console=ttyS0 quiet");
                return o;
              });

      OSImage built = osImageWhen(ns, "edge", BUILD, o -> o.getStatus().getPhase() == Phase.Ready);
      assertThat(built.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Pass);
      assertThat(built.getStatus().getPolicy().getResults()).isEmpty();
      assertThat(applied(built.getStatus().getPolicy(), policy)).isTrue();
      assertThat(Conditions.isTrue(built.getStatus().getConditions(), Conditions.POLICY_PASSED))
          .isTrue();
      assertThat(Conditions.isTrue(built.getStatus().getConditions(), Conditions.READY)).isTrue();
      assertThat(built.getStatus().getArchitectures())
          .allSatisfy(
              a -> {
                assertThat(a.getState()).isEqualTo(BuildState.Succeeded);
                assertThat(a.getAttempts()).isEqualTo(1);
              });

      // One pod per architecture, each run by the node of its architecture.
      assertThat(pods.archByPod.values()).containsExactlyInAnyOrder("amd64", "arm64");
      assertThat(pods.nodeByPod).hasSize(2);
      pods.nodeByPod.forEach(
          (pod, node) ->
              assertThat(node).isEqualTo(LocalNodeAgent.nodeName(pods.archByPod.get(pod))));

      String digest = built.getStatus().getDigest();
      assertThat(digest).startsWith("sha256:");
      OciRepository repo = env.oci.repository(out);
      ImageIndex index = ImageIndex.parse(repo.manifestBytes(digest));
      assertThat(index.manifests())
          .extracting(m -> m.platform().toString())
          .containsExactlyInAnyOrder("linux/amd64", "linux/arm64");
      for (var a : built.getStatus().getArchitectures()) {
        ImageManifest m = ImageManifest.parse(repo.manifestBytes(a.getManifestDigest()));
        assertThat(m.layers())
            .extracting(Descriptor::digest)
            .containsExactlyElementsOf(a.getArtifacts().stream().map(x -> x.getDigest()).toList());
      }
    }
  }

  @Test
  void policyChangeReevaluatesExistingObjects() throws Exception {
    String ns = cluster.newNamespace("policychange");
    env.layers(ns, "change");
    OSImage o = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0");
    Descriptor cached = env.seedCache(ns, o);

    try (PodWatch pods = new PodWatch(client, ns)) {
      client.resource(o).create();
      OSImage ready = osImageWhen(ns, "edge", WAIT, x -> x.getStatus().getPhase() == Phase.Ready);
      assertThat(ready.getStatus().getDigest()).isEqualTo(cached.digest());
      assertThat(ready.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Pass);
      assertThat(ready.getStatus().getPolicy().getResults()).isEmpty();
      assertThat(ready.getStatus().getPolicy().getPolicies()).isEmpty();
      Long generation = ready.getMetadata().getGeneration();

      String name = "platforms-" + ns;
      ImagePolicySpec spec = new ImagePolicySpec();
      spec.setCustomRules(
          List.of(
              rule(
                  "three-platforms",
                  "layers.all(n, layers[n].platforms.size() >= 3)",
                  "'OSImage ' + object.metadata.name + ': ' + string(layers.filter(n, layers[n].platforms.size() < 3).size())"
                      + " + ' of ' + string(size(layers)) + ' Layers offer fewer than 3 platforms'",
                  null)));
      ImagePolicy denying = createPolicy(ns, name, spec);
      String message = "OSImage edge: 2 of 2 Layers offer fewer than 3 platforms";

      OSImage denied =
          osImageWhen(ns, "edge", WAIT, x -> applied(x.getStatus().getPolicy(), denying));
      assertThat(denied.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Deny);
      assertThat(denied.getStatus().getPolicy().getResults())
          .extracting(
              PolicyResult::getRule,
              PolicyResult::getAction,
              PolicyResult::getTarget,
              PolicyResult::getMessage)
          .containsExactly(
              tuple(name + "/three-platforms", PolicyAction.Deny, "OSImage/edge", message));
      assertThat(denied.getStatus().getPhase()).isEqualTo(Phase.Blocked);
      Condition passed = condition(denied.getStatus().getConditions(), Conditions.POLICY_PASSED);
      assertThat(passed.getStatus()).isEqualTo("False");
      assertThat(passed.getMessage()).contains(name + "/three-platforms", message);
      assertThat(condition(denied.getStatus().getConditions(), Conditions.READY).getStatus())
          .isEqualTo("False");

      ImagePolicy warning = editRuleAction(name, PolicyAction.Warn);
      OSImage warned =
          osImageWhen(
              ns,
              "edge",
              WAIT,
              x ->
                  applied(x.getStatus().getPolicy(), warning)
                      && x.getStatus().getPhase() == Phase.Ready);
      assertThat(warned.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Warn);
      assertThat(warned.getStatus().getPolicy().getResults())
          .extracting(
              PolicyResult::getRule,
              PolicyResult::getAction,
              PolicyResult::getTarget,
              PolicyResult::getMessage)
          .containsExactly(
              tuple(name + "/three-platforms", PolicyAction.Warn, "OSImage/edge", message));
      Condition warnedPassed =
          condition(warned.getStatus().getConditions(), Conditions.POLICY_PASSED);
      assertThat(warnedPassed.getStatus()).isEqualTo("True");
      assertThat(warnedPassed.getReason()).isEqualTo("PolicyWarned");
      assertThat(warned.getStatus().getDigest()).isEqualTo(cached.digest());

      ImagePolicy off = editRuleAction(name, PolicyAction.Off);
      OSImage passing = osImageWhen(ns, "edge", WAIT, x -> applied(x.getStatus().getPolicy(), off));
      assertThat(passing.getStatus().getPolicy().getVerdict()).isEqualTo(PolicyVerdict.Pass);
      assertThat(passing.getStatus().getPolicy().getResults()).isEmpty();
      assertThat(passing.getStatus().getPhase()).isEqualTo(Phase.Ready);
      assertThat(
              condition(passing.getStatus().getConditions(), Conditions.POLICY_PASSED).getReason())
          .isEqualTo("PolicyPassed");

      // Only the status moved: the object itself was never written.
      OSImage after = get(ns, "edge");
      assertThat(after.getMetadata().getGeneration()).isEqualTo(generation);
      assertThat(after.getSpec().getKernel().getCmdline()).isEqualTo("console=ttyS0");
      assertThat(pods.archByPod).isEmpty();
    }
  }

  ImagePolicy editRuleAction(String name, PolicyAction action) {
    client
        .resources(ImagePolicy.class)
        .withName(name)
        .edit(
            p -> {
              p.getSpec().getCustomRules().get(0).setAction(action);
              return p;
            });
    return awaitPolicyReady(name);
  }

  @Test
  void celOverNestedFieldsAndLayers() throws Exception {
    String ns = cluster.newNamespace("celnested");
    env.layers(ns, "cel");
    Layer kernel = readyLayer(ns, "kernel");
    readyLayer(ns, "base");

    OSImage o = osImage(ns, "edge", BOTH, env.image(ns + "/out"), "quiet loglevel=3");
    o.getSpec()
        .setFiles(
            List.of(
                new FileSpec("etc/motd", "hello\n", "0644"),
                new FileSpec("usr/local/bin/tool", "#!/bin/sh\n", "0755"),
                new FileSpec("opt/site/config", "x=1\n", null)));

    String name = "nested-" + ns;
    ImagePolicySpec spec = new ImagePolicySpec();
    spec.setCustomRules(
        List.of(
            rule(
                "files-under-etc",
                "!has(object.spec.files) || object.spec.files.all(f, f.path.startsWith('etc/'))",
                "'files outside etc/: ' + object.spec.files.filter(f, !f.path.startsWith('etc/'))"
                    + ".map(f, f.path + ' (' + (has(f.mode) ? f.mode : 'default mode') + ')').join(', ')",
                null),
            rule(
                "console-on-serial",
                "object.spec.kernel.cmdline.split(' ').exists(p, p.startsWith('console='))",
                "'OSImage ' + object.metadata.name + ' sets no console= in \"' + object.spec.kernel.cmdline + '\"'",
                PolicyAction.Warn),
            rule(
                "kernel-riscv64",
                "layers.kernel.platforms.exists(p, p.platform == 'linux/riscv64')",
                "'kernel Layer ' + layers.kernel.digest + ' offers only '"
                    + " + layers.kernel.platforms.map(p, p.platform).join(', ')",
                null)));
    ImagePolicy policy = createPolicy(ns, name, spec);
    client.resource(o).create();

    OSImage evaluated =
        osImageWhen(ns, "edge", WAIT, x -> applied(x.getStatus().getPolicy(), policy));
    PolicyStatus p = evaluated.getStatus().getPolicy();
    assertThat(p.getResults())
        .extracting(
            PolicyResult::getRule,
            PolicyResult::getAction,
            PolicyResult::getTarget,
            PolicyResult::getMessage)
        .containsExactly(
            tuple(
                name + "/files-under-etc",
                PolicyAction.Deny,
                "OSImage/edge",
                "files outside etc/: usr/local/bin/tool (0755), opt/site/config (default mode)"),
            tuple(
                name + "/kernel-riscv64",
                PolicyAction.Deny,
                "OSImage/edge",
                "kernel Layer "
                    + kernel.getStatus().getDigest()
                    + " offers only linux/amd64, linux/arm64"),
            tuple(
                name + "/console-on-serial",
                PolicyAction.Warn,
                "OSImage/edge",
                "OSImage edge sets no console= in \"quiet loglevel=3\""));
    assertThat(List.of(p.getDeny(), p.getWarn(), p.getTotal())).containsExactly(2, 1, 3);
    assertThat(p.getVerdict()).isEqualTo(PolicyVerdict.Deny);
    assertThat(evaluated.getStatus().getPhase()).isEqualTo(Phase.Blocked);
    assertThat(condition(evaluated.getStatus().getConditions(), Conditions.READY).getMessage())
        .isEqualTo(
            "Denied by policy: "
                + name
                + "/files-under-etc files outside etc/: "
                + "usr/local/bin/tool (0755), opt/site/config (default mode)");

    // The messages are computed from the object as it is now.
    client
        .resources(OSImage.class)
        .inNamespace(ns)
        .withName("edge")
        .edit(
            x -> {
              x.getSpec().getKernel().setCmdline("quiet");
              x.getSpec()
                  .setFiles(List.of(new FileSpec("srv/www/index.html", "<p>hi</p>\n", "0644")));
              return x;
            });
    OSImage changed =
        osImageWhen(
            ns,
            "edge",
            WAIT,
            x -> x.getMetadata().getGeneration() > evaluated.getMetadata().getGeneration());
    assertThat(changed.getStatus().getPolicy().getResults())
        .extracting(PolicyResult::getRule, PolicyResult::getMessage)
        .containsExactly(
            tuple(name + "/files-under-etc", "files outside etc/: srv/www/index.html (0644)"),
            tuple(
                name + "/kernel-riscv64",
                "kernel Layer "
                    + kernel.getStatus().getDigest()
                    + " offers only linux/amd64, linux/arm64"),
            tuple(name + "/console-on-serial", "OSImage edge sets no console= in \"quiet\""));
  }

  ImagePolicy onlyGhcr(String ns) {
    ImagePolicySpec spec = new ImagePolicySpec();
    PolicyParameters params = new PolicyParameters();
    params.setAllowedRegistries(List.of("ghcr.io"));
    spec.setParameters(params);
    return createPolicy(ns, "ghcr-only-" + ns, spec);
  }

  @Test
  void osImageUsingADeniedLayerIsBlocked() throws Exception {
    String ns = cluster.newNamespace("deniedlayer");
    env.layers(ns, "denied");
    ImagePolicy policy = onlyGhcr(ns);
    for (String name : List.of("kernel", "base")) {
      evaluatedLayer(ns, name, p -> applied(p, policy) && p.getVerdict() == PolicyVerdict.Deny);
    }

    try (PodWatch pods = new PodWatch(client, ns)) {
      client.resource(osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0")).create();
      OSImage o = osImageWhen(ns, "edge", WAIT, x -> x.getStatus().getPhase() != Phase.Pending);
      assertThat(o.getStatus().getPhase()).isEqualTo(Phase.Blocked);
      assertThat(condition(o.getStatus().getConditions(), Conditions.POLICY_PASSED).getStatus())
          .isEqualTo("False");
      assertThat(condition(o.getStatus().getConditions(), Conditions.READY).getMessage())
          .contains("LMN002");
      await()
          .during(Duration.ofSeconds(5))
          .atMost(Duration.ofSeconds(15))
          .until(() -> get(ns, "edge").getStatus().getPhase() == Phase.Blocked);
      assertThat(pods.archByPod).isEmpty();
    }
  }

  @Test
  void disallowedRegistryIsNeverAskedAndItsOSImageIsBlocked() throws Exception {
    String ns = cluster.newNamespace("neverasked");
    env.pushLayers(ns, "never");
    ImagePolicy policy = onlyGhcr(ns);
    // Once a probe Layer shows the policy, the Layer reconciler's cache holds it.
    client.resource(layer(ns, "probe", env.image(ns + "-probe/x") + ":v1")).create();
    evaluatedLayer(ns, "probe", p -> applied(p, policy));
    int before = env.registry.requests().size();
    client.resource(layer(ns, "kernel", env.image(ns + "/kernel") + ":v1")).create();
    client.resource(layer(ns, "base", env.image(ns + "/base") + ":v1")).create();

    try (PodWatch pods = new PodWatch(client, ns)) {
      client.resource(osImage(ns, "edge", BOTH, env.image(ns + "/out"), "console=ttyS0")).create();
      OSImage o = osImageWhen(ns, "edge", WAIT, x -> x.getStatus().getPhase() == Phase.Blocked);
      assertThat(condition(o.getStatus().getConditions(), Conditions.READY).getMessage())
          .contains("LMN002");
      for (String name : List.of("kernel", "base")) {
        Layer refused = evaluatedLayer(ns, name, p -> applied(p, policy));
        Condition ready = condition(refused.getStatus().getConditions(), Conditions.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("PolicyDenied");
        assertThat(ready.getMessage()).startsWith("Not resolved: LMN002");
        // The platforms asked for stay listed (rules on them still see them), but unresolved.
        assertThat(refused.getStatus().getPlatforms())
            .isNotEmpty()
            .allMatch(p -> p.getDigest() == null);
      }
      assertThat(env.registry.requests().subList(before, env.registry.requests().size()))
          .as("requests to the registry the policy refuses")
          .noneMatch(r -> r.contains("/" + ns + "/kernel/") || r.contains("/" + ns + "/base/"));
      assertThat(pods.archByPod).isEmpty();

      // Lifting the policy resolves the Layers and the image goes on, with no other touch.
      client.resource(policy).delete();
      osImageWhen(ns, "edge", BUILD, x -> x.getStatus().getPhase() != Phase.Blocked);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  env.registry.requests().stream()
                      .anyMatch(r -> r.contains("/v2/" + ns + "/kernel/manifests/v1")));
      client.resource(o).delete();
    }
  }

  @Test
  void layerFromAnUnreachableDisallowedRegistryIsDenied() {
    String ns = cluster.newNamespace("unreachable");
    ImagePolicy policy = onlyGhcr(ns);
    // Port 1 refuses connections: LMN002 needs only the reference, not the registry.
    String image = "127.0.0.1:1/os/base@sha256:" + "a".repeat(64);
    client.resource(layer(ns, "foreign", image)).create();

    Layer denied = evaluatedLayer(ns, "foreign", p -> applied(p, policy));
    assertThat(denied.getStatus().getPolicy().getResults())
        .extracting(PolicyResult::getRule, PolicyResult::getAction, PolicyResult::getMessage)
        .containsExactly(
            tuple(
                "LMN002",
                PolicyAction.Deny,
                "registry 127.0.0.1:1 of image " + image + " is not allowed; allowed: ghcr.io"));
    assertThat(condition(denied.getStatus().getConditions(), Conditions.POLICY_PASSED).getStatus())
        .isEqualTo("False");
  }
}

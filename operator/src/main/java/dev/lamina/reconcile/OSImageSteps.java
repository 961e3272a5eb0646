package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.Conditions;
import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.PlanFactory;
import dev.lamina.reconcile.BuildPods.Owned;
import dev.lamina.reconcile.BuildStateMachine.PodAction;
import dev.lamina.reconcile.BuildStateMachine.Retry;
import dev.lamina.reconcile.BuildStateMachine.Step;
import dev.lamina.reconcile.OutputRegistry.CacheHit;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The steps {@link OSImageReconciler#reconcile(OSImage, OSImageStatus, Owned,
 * dev.lamina.metrics.LaminaMetrics)} lists, each with its inputs passed in and its output returned;
 * status is the one thing they write, and each writes only its own part of it.
 */
final class OSImageSteps {
  /** How often a queued image asks again when no pod's end wakes it first. */
  private static final Duration QUEUE_RECHECK = Duration.ofSeconds(30);

  private final OperatorSettings settings;
  private final Clock clock;
  private final ClusterView view;
  private final OSImagePolicy policy;
  private final BuildPods pods;
  private final OSImageSigning signing;

  OSImageSteps(
      OperatorSettings settings,
      Clock clock,
      ClusterView view,
      BuildPods pods,
      OSImageSigning signing) {
    this.settings = settings;
    this.clock = clock;
    this.view = view;
    this.policy = new OSImagePolicy(view);
    this.pods = pods;
    this.signing = signing;
  }

  // layers

  LayerInputs layers(OSImage image) {
    return LayerInputs.of(image, n -> view.layer(image.getMetadata().getNamespace(), n));
  }

  /**
   * A Layer that policy refused is never resolved; once only refused ones are left, its denials
   * block the image instead of leaving it waiting for a Layer that will not become Ready.
   */
  Verdict waitForLayers(OSImage image, OSImageStatus status, LayerInputs layers, Owned owned) {
    if (layers.waiting().isEmpty()) {
      PolicyStatus policy =
          this.policy.assess(image, status, layers.readyAndRefused(), Overlaps.NONE);
      if (policy.getVerdict() == PolicyVerdict.Deny) {
        return block(policy, owned);
      }
    }
    return Verdict.layersNotReady(layers.notReady());
  }

  // plan

  /** The plan: every Layer resolved to a digest per architecture; throws when one is missing. */
  BuildPlan plan(OSImage image, LayerInputs layers) {
    return PlanFactory.create(image, layers.ready(), settings.maxLimits());
  }

  // policy

  /**
   * Evaluates policy, overlaps included, into status; a Deny blocks the image. The overlaps come
   * from status, not from pods, so they outlive the pods that found them.
   */
  Optional<Verdict> policy(
      OSImage image, OSImageStatus status, LayerInputs layers, Overlaps known, Owned owned) {
    PolicyStatus verdict = policy.assess(image, status, layers.ready(), known);
    return verdict.getVerdict() == PolicyVerdict.Deny
        ? Optional.of(block(verdict, owned))
        : Optional.empty();
  }

  /** A denied image builds nothing: its pods are deleted, whatever attempt they were at. */
  Verdict block(PolicyStatus policy, Owned owned) {
    owned.pods().forEach(pods::delete);
    return Verdict.blocked(policy);
  }

  /**
   * Evaluates policy again when builds (or the cache) just reported overlaps, so a rule that denies
   * them stops the image before its index is pushed or tagged, not on some later event.
   */
  Optional<Verdict> policyOnNewOverlaps(
      OSImage image, OSImageStatus status, LayerInputs layers, Overlaps known, Owned owned) {
    Overlaps now = Overlaps.of(status.getArchitectures());
    if (now.equals(known)) {
      return Optional.empty();
    }
    PolicyStatus policy = this.policy.assess(image, status, layers.ready(), now);
    return policy.getVerdict() == PolicyVerdict.Deny
        ? Optional.of(block(policy, owned))
        : Optional.empty();
  }

  /**
   * A new input: whatever was building belongs to the old one. The last index built stays in
   * digest, with its input, repository and signing key, until the new input's index replaces it.
   */
  void forgetOtherInputs(OSImageStatus status, String input, LayerInputs layers, Owned owned) {
    if (status.getDigest() != null && status.getReadyInputDigest() == null) {
      // Written before readyInputDigest existed, when digest was cleared with each new input.
      status.setReadyInputDigest(status.getInputDigest());
    }
    if (!input.equals(status.getInputDigest())) {
      status.setInputDigest(input);
      Map<String, String> digests = new TreeMap<>();
      layers.ready().forEach((n, l) -> digests.put(n, l.getStatus().getDigest()));
      status.setLayerDigests(digests);
      status.setArchitectures(new ArrayList<>());
      status.setConditions(Conditions.remove(status.getConditions(), Conditions.SCHEDULED));
    }
    pods.deleteOtherInputs(owned, input);
  }

  /**
   * A new lamina.dev/rebuild value gives each Failed architecture a new attempt now, with its
   * spec.build.retries again; the value is recorded either way. A Ready image has its index for
   * this input already (a build would write the same bytes), so nothing is built for it.
   */
  void rebuildIfAsked(OSImage image, OSImageStatus status, OSImageEvents notices) {
    Map<String, String> annotations = image.getMetadata().getAnnotations();
    String asked = annotations == null ? null : annotations.get(Lamina.REBUILD_ANNOTATION);
    if (asked == null || asked.equals(status.getRebuild())) {
      return;
    }
    status.setRebuild(asked);
    List<ArchitectureStatus> archs = new ArrayList<>();
    List<String> retried = new ArrayList<>();
    for (ArchitectureStatus a : status.getArchitectures()) {
      ArchitectureStatus next = BuildStateMachine.rebuilt(a, clock.instant());
      if (!Objects.equals(next.getNextAttemptAt(), a.getNextAttemptAt())) {
        retried.add(a.getArchitecture());
      }
      archs.add(next);
    }
    status.setArchitectures(archs);
    if (!retried.isEmpty()) {
      notices.rebuildRequested(image, asked, retried);
    }
  }

  // cache

  /** Whether a build of {@code input} began: then the cache is not asked again. */
  static boolean started(OSImageStatus status, Owned owned, String input) {
    return status.getArchitectures().stream().anyMatch(a -> attempts(a) > 0) || owned.anyFor(input);
  }

  /** Fills status from an index already tagged with the input digest; empty when none is. */
  Optional<Verdict> cache(
      OSImage image,
      OSImageStatus status,
      String input,
      LayerInputs layers,
      Overlaps known,
      Owned owned,
      OSImageEvents notices)
      throws IOException {
    OciRepository repo = view.output(image);
    Optional<CacheHit> hit = OutputRegistry.lookup(repo, input, architectures(image));
    if (hit.isEmpty()) {
      return Optional.empty();
    }
    status.setArchitectures(new ArrayList<>(hit.get().architectures()));
    Optional<Verdict> denied = policyOnNewOverlaps(image, status, layers, known, owned);
    if (denied.isPresent()) {
      return denied;
    }
    OutputRegistry.tag(repo, hit.get(), image.getSpec().getOutput().getTag());
    String repository = image.getSpec().getOutput().getRepository();
    readyIndex(status, hit.get().index().digest(), input, repository);
    notices.cacheHit(image, input, status.getDigest(), repository);
    return Optional.of(Verdict.built(cacheHitMessage(image, status)));
  }

  /** The Ready message of an image whose index was found in the cache. */
  static String cacheHitMessage(OSImage image, OSImageStatus status) {
    return indexIn(image, status, "was already in") + " (cache hit).";
  }

  // build

  /** Steps each architecture's state machine and carries out what it decided for the pods. */
  List<Step> build(
      OSImage image, BuildPlan plan, OSImageStatus status, Owned owned, OSImageEvents notices) {
    plan = policy.podPlan(image, plan);
    pods.writePlan(image, plan, owned);
    int retries =
        image.getSpec().getBuild() == null ? 2 : image.getSpec().getBuild().effectiveRetries();
    Retry retry = new Retry(retries, settings::backoffAfter, settings.noNodeGrace());
    List<Step> steps = new ArrayList<>();
    for (Architecture arch : architectures(image)) {
      ArchitectureStatus current =
          status.getArchitectures().stream()
              .filter(s -> arch.name().equals(s.getArchitecture()))
              .findFirst()
              .orElseGet(() -> BuildStateMachine.initial(arch));
      Optional<Pod> pod = owned.pod(current.getPod());
      Instant now = clock.instant();
      Step step =
          BuildStateMachine.next(
              image.getMetadata().getName(),
              plan.inputDigest(),
              current,
              pod.orElse(null),
              view.hasNode(arch),
              now,
              retry);
      if (step.action() == PodAction.START
          && !view.slot(image, arch, step.status().getPod(), now)) {
        step = BuildStateMachine.queued(current, QUEUE_RECHECK);
      }
      pods.carryOut(image, plan, arch, step, pod);
      notices.stepped(image, current, step, pod);
      steps.add(step);
    }
    status.setArchitectures(new ArrayList<>(steps.stream().map(Step::status).toList()));
    return steps;
  }

  // publish

  void publish(OSImage image, OSImageStatus status, String input, OSImageEvents notices)
      throws IOException {
    Descriptor index =
        OutputRegistry.publish(
            view.output(image),
            input,
            image.getSpec().getOutput().getTag(),
            status.getArchitectures());
    readyIndex(status, index.digest(), input, image.getSpec().getOutput().getRepository());
    notices.published(image, index.digest(), status.getRepository());
  }

  /** The index of {@code input} replaces the last one built; its signature is still to come. */
  private static void readyIndex(
      OSImageStatus status, String digest, String input, String repository) {
    status.setDigest(digest);
    status.setReadyInputDigest(input);
    status.setRepository(repository);
    status.setSigningKey(null);
  }

  /**
   * Signs a Ready image with the key its spec names, unless this key signed it already. The verdict
   * goes into status first: signing reads the phase and the index digest.
   */
  Verdict signed(
      OSImage image,
      OSImageStatus status,
      BuildPlan plan,
      Optional<SigningKeys.KeyPair> key,
      Verdict verdict)
      throws IOException {
    verdict.applyTo(status, image.getMetadata().getGeneration());
    if (key.isPresent()) {
      signing.signIfNeeded(image, status, plan, view.output(image), settings.builderImage(), key);
    }
    return verdict;
  }

  /** The key the image is to be signed with; empty when it asks for no signing. */
  Optional<SigningKeys.KeyPair> signingKey(OSImage image) throws SupplyException {
    return signing.key(image);
  }

  /** The image is built, or reused: its pods and plan go. */
  void cleanUp(Owned owned) {
    pods.deleteAll(owned);
  }

  static String indexIn(OSImage image, OSImageStatus status, String where) {
    return "Index %s %s %s"
        .formatted(status.getDigest(), where, image.getSpec().getOutput().getRepository());
  }

  static List<Architecture> architectures(OSImage image) {
    return image.getSpec().getArchitectures().stream().sorted().toList();
  }

  static int attempts(ArchitectureStatus a) {
    return a.getAttempts() == null ? 0 : a.getAttempts();
  }
}

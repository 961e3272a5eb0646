package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.BuildState;
import dev.lamina.api.Conditions;
import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.metrics.LaminaMetrics;
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
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an OSImage: waits for its Layers, plans, applies policy, reuses a cached index when the
 * registry has one, else runs one build pod per architecture and, when all have pushed their
 * manifests, pushes the multi-architecture index. {@link #reconcile(OSImage, OSImageStatus, Owned)}
 * lists these steps in order; each is a method below it, in the same order.
 */
// Generation-aware processing would drop a rebuild annotation (metadata only); the filter keeps
// what it let through and adds that.
@ControllerConfiguration(
    name = "osimage",
    generationAwareEventProcessing = false,
    informer = @Informer(onUpdateFilter = SpecOrRebuildChanged.class))
@GradualRetry(
    maxAttempts = -1,
    initialInterval = 2000,
    intervalMultiplier = 2,
    maxInterval = 300_000)
public final class OSImageReconciler implements Reconciler<OSImage> {
  private static final Logger LOG = LoggerFactory.getLogger(OSImageReconciler.class);

  private final OperatorSettings settings;
  private final KubernetesSerialization json;
  private final Events events;
  private final Clock clock;

  /** How often a queued image asks again when no pod's end wakes it first. */
  private static final Duration QUEUE_RECHECK = Duration.ofSeconds(30);

  private final ClusterView view;
  private final OSImageWatches watches;
  private final OSImagePolicy policy;
  private final BuildPods pods;
  private final OSImageSigning signing;

  OSImageReconciler(
      OperatorSettings settings,
      Registries registries,
      PolicySet policies,
      KubernetesClient client,
      Clock clock) {
    this(
        settings,
        client,
        clock,
        new OSImageWatches(
            client.getKubernetesSerialization(), registries, policies, settings.maxBuildPods()));
  }

  /**
   * @param view what the reconciler reads; the controller's own watches in the operator
   */
  OSImageReconciler(
      OperatorSettings settings, KubernetesClient client, Clock clock, ClusterView view) {
    this.settings = settings;
    this.json = client.getKubernetesSerialization();
    this.events = new Events(client);
    this.clock = clock;
    this.view = view;
    this.watches = view instanceof OSImageWatches w ? w : null;
    this.policy = new OSImagePolicy(view);
    this.pods = new BuildPods(client, settings, events, view::created);
    this.signing = new OSImageSigning(client);
  }

  @Override
  public List<EventSource<?, OSImage>> prepareEventSources(EventSourceContext<OSImage> context) {
    return watches.prepare(context);
  }

  /** The result of the steps: what the status says, and when to look again without an event. */
  record Outcome(Verdict verdict, Duration recheck) {
    static Outcome of(Verdict verdict) {
      return new Outcome(verdict, null);
    }
  }

  @Override
  public UpdateControl<OSImage> reconcile(OSImage image, Context<OSImage> context)
      throws IOException {
    return StatusUpdates.logged(
        image,
        () -> {
          OSImageStatus status = StatusUpdates.copy(json, image.getStatus(), OSImageStatus::new);
          Owned owned =
              new Owned(
                  List.copyOf(context.getSecondaryResources(Pod.class)),
                  List.copyOf(context.getSecondaryResources(ConfigMap.class)));
          Duration recheck = reconcile(image, status, owned, LaminaMetrics.of(context));
          if (StatusUpdates.changed(json, image.getStatus(), status)) {
            // The status is the build's state (attempts, pods): the next reconcile, which a pod
            // event may start at once, must read this write, not the informer's older copy.
            PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
                image, StatusUpdates.fresh(image, status, OSImage::new), context);
          }
          UpdateControl<OSImage> control = UpdateControl.noUpdate();
          if (recheck != null) {
            control.rescheduleAfter(recheck.isNegative() ? Duration.ofSeconds(1) : recheck);
          }
          return control;
        });
  }

  /**
   * The steps, in order: layers → plan → policy → cache → build → publish → status. Each step
   * before the last may end the reconcile with the verdict it reached. Writes {@code status};
   * returns when to look again, or null.
   */
  Duration reconcile(OSImage image, OSImageStatus status, Owned owned, LaminaMetrics metrics)
      throws IOException {
    if (status.getArchitectures() == null) {
      status.setArchitectures(new ArrayList<>());
    }
    Outcome outcome = steps(image, status, owned, metrics);
    outcome.verdict().applyTo(status, image.getMetadata().getGeneration());
    status.setArchitectureList(OSImageStatus.architectureList(image.getSpec()));
    status.setObservedGeneration(image.getMetadata().getGeneration());
    if (outcome.verdict().phase() == Phase.Blocked && !was(image, Phase.Blocked)) {
      metrics.policyDenied("OSImage");
    }
    OSImageStatus old = image.getStatus();
    if (StatusUpdates.changed(json, old, status)) {
      boolean specChanged =
          old == null
              || !Objects.equals(old.getObservedGeneration(), image.getMetadata().getGeneration());
      for (StatusEvents.Event e : StatusEvents.of(old, status, specChanged)) {
        events.emit(image, e.type(), e.reason(), e.message());
      }
    }
    return outcome.recheck();
  }

  private Outcome steps(OSImage image, OSImageStatus status, Owned owned, LaminaMetrics metrics)
      throws IOException {
    LayerInputs layers = layers(image);
    if (!layers.allReady()) {
      return Outcome.of(waitForLayers(image, status, layers, owned));
    }
    BuildPlan plan;
    try {
      plan = plan(image, layers);
    } catch (IllegalArgumentException e) {
      // A resolved Layer that lacks what the image needs (an architecture): it won't by itself.
      return Outcome.of(Verdict.planFailed(e.getMessage() + "."));
    }
    String input = plan.inputDigest();
    Overlaps known = Overlaps.of(status, input);
    PolicyStatus verdict = policy.assess(image, status, layers.ready(), known);
    if (verdict.getVerdict() == PolicyVerdict.Deny) {
      return Outcome.of(block(verdict, owned));
    }
    if (image.getSpec().getOutput() == null) {
      return Outcome.of(
          Verdict.pending(
              "OutputMissing",
              "Set spec.output.repository: build pods push their artifacts there."));
    }
    Optional<SigningKeys.KeyPair> key;
    try {
      key = signing.key(image);
    } catch (SupplyException e) {
      // Before any build: an index pushed now could not be signed.
      return Outcome.of(Verdict.failed(e.reason(), e.getMessage() + "."));
    }
    forgetOtherInputs(status, input, layers, owned);
    rebuildIfAsked(image, status);
    if (status.getDigest() != null && status.getPhase() == Phase.Ready) {
      pods.deleteAll(owned);
      return signed(image, status, plan, key, Verdict.built(indexIn(image, status, "is in") + "."));
    }
    if (!started(status, owned, input)) {
      Optional<Verdict> cached = cache(image, status, input, layers, known, owned, metrics);
      if (cached.isPresent()) {
        return signed(image, status, plan, key, cached.get());
      }
    }
    List<Step> steps = build(image, policy.podPlan(image, plan), status, owned, metrics);
    Optional<Verdict> denied = policyOnNewOverlaps(image, status, layers, known, owned);
    if (denied.isPresent()) {
      return new Outcome(denied.get(), BuildStateMachine.earliest(steps));
    }
    Optional<Verdict> building = Verdict.ofBuild(steps, settings.maxBuildPods());
    if (building.isPresent()) {
      Verdict v = building.get();
      if (v.phase() == Phase.Failed && !was(image, Phase.Failed)) {
        String reason =
            PodOutcome.IMAGE_PULL_FAILED.equals(v.reason()) ? v.reason() : "BuildFailed";
        events.emit(image, Events.WARNING, reason, v.message());
      }
      return new Outcome(building.get(), BuildStateMachine.earliest(steps));
    }
    publish(image, status, input);
    pods.deleteAll(owned);
    return signed(image, status, plan, key, Verdict.built(indexIn(image, status, "is in") + "."));
  }

  // layers

  private LayerInputs layers(OSImage image) {
    return LayerInputs.of(image, n -> view.layer(image.getMetadata().getNamespace(), n));
  }

  /**
   * A Layer that policy refused is never resolved; once only refused ones are left, its denials
   * block the image instead of leaving it waiting for a Layer that will not become Ready.
   */
  private Verdict waitForLayers(
      OSImage image, OSImageStatus status, LayerInputs layers, Owned owned) {
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
  private BuildPlan plan(OSImage image, LayerInputs layers) {
    return PlanFactory.create(image, layers.ready(), settings.maxLimits());
  }

  // policy

  /** A denied image builds nothing: its pods are deleted, whatever attempt they were at. */
  private Verdict block(PolicyStatus policy, Owned owned) {
    owned.pods().forEach(pods::delete);
    return Verdict.blocked(policy);
  }

  /**
   * Evaluates policy again when builds (or the cache) just reported overlaps, so a rule that denies
   * them stops the image before its index is pushed or tagged, not on some later event.
   */
  private Optional<Verdict> policyOnNewOverlaps(
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

  /** A new input: whatever was built or building belongs to the old one. */
  private void forgetOtherInputs(
      OSImageStatus status, String input, LayerInputs layers, Owned owned) {
    if (!input.equals(status.getInputDigest())) {
      status.setInputDigest(input);
      Map<String, String> digests = new TreeMap<>();
      layers.ready().forEach((n, l) -> digests.put(n, l.getStatus().getDigest()));
      status.setLayerDigests(digests);
      status.setDigest(null);
      status.setRepository(null);
      status.setSigningKey(null);
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
  private void rebuildIfAsked(OSImage image, OSImageStatus status) {
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
      LOG.info("rebuild {} requested: retrying {}", asked, retried);
      String msg =
          "Retrying %s (%s=%s)."
              .formatted(String.join(", ", retried), Lamina.REBUILD_ANNOTATION, asked);
      events.emit(image, Events.NORMAL, "RebuildRequested", msg);
    }
  }

  // cache

  /** Whether a build of {@code input} began: then the cache is not asked again. */
  private static boolean started(OSImageStatus status, Owned owned, String input) {
    return status.getArchitectures().stream().anyMatch(a -> attempts(a) > 0) || owned.anyFor(input);
  }

  /** Fills status from an index already tagged with the input digest; empty when none is. */
  private Optional<Verdict> cache(
      OSImage image,
      OSImageStatus status,
      String input,
      LayerInputs layers,
      Overlaps known,
      Owned owned,
      LaminaMetrics metrics)
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
    status.setDigest(hit.get().index().digest());
    status.setRepository(repository);
    OSImageStatus old = image.getStatus();
    if (old == null || !input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready) {
      metrics.cacheHit();
    }
    // Only when the cache spared a build that a changed input would have started: on an object's
    // first reconcile the Ready message says so, and 5,000 new objects made 5,000 Events, half
    // the operator's requests.
    if (old != null
        && old.getInputDigest() != null
        && (!input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready)) {
      events.emit(
          image,
          Events.NORMAL,
          "CacheHit",
          "Index " + status.getDigest() + " reused from " + repository + ".");
    }
    return Optional.of(Verdict.built(indexIn(image, status, "was already in") + " (cache hit)."));
  }

  // build

  /** Steps each architecture's state machine and carries out what it decided for the pods. */
  private List<Step> build(
      OSImage image, BuildPlan plan, OSImageStatus status, Owned owned, LaminaMetrics metrics) {
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
      observe(image, metrics, current, step, pod);
      steps.add(step);
    }
    status.setArchitectures(new ArrayList<>(steps.stream().map(Step::status).toList()));
    status.setRepository(image.getSpec().getOutput().getRepository());
    return steps;
  }

  /**
   * Counts what the step did (an attempt started, a build succeeded or an attempt failed) and says
   * when a failed attempt is retried.
   */
  private void observe(
      OSImage image,
      LaminaMetrics metrics,
      ArchitectureStatus current,
      Step step,
      Optional<Pod> pod) {
    ArchitectureStatus next = step.status();
    if (step.action() == PodAction.START) {
      metrics.buildStarted(next.getArchitecture());
    } else if (step.succeeded() && current.getState() != BuildState.Succeeded) {
      metrics.buildSucceeded(next.getArchitecture(), pod.orElse(null));
    } else if (next.getState() == BuildState.Failed && current.getState() != BuildState.Failed) {
      metrics.buildFailed(next.getArchitecture(), next.getReason(), pod.orElse(null));
      if (next.getNextAttemptAt() != null) {
        LOG.info(
            "{} attempt {} failed ({}); retrying at {}",
            next.getArchitecture(),
            next.getAttempts(),
            next.getReason(),
            next.getNextAttemptAt());
        String msg =
            "%s attempt %d failed (%s: %s); attempt %d follows."
                .formatted(
                    next.getArchitecture(),
                    next.getAttempts(),
                    next.getReason(),
                    next.getMessage(),
                    next.getAttempts() + 1);
        events.emit(image, Events.WARNING, "BuildRetried", msg);
      }
    }
  }

  // publish

  private void publish(OSImage image, OSImageStatus status, String input) throws IOException {
    Descriptor index =
        OutputRegistry.publish(
            view.output(image),
            input,
            image.getSpec().getOutput().getTag(),
            status.getArchitectures());
    status.setDigest(index.digest());
    events.emit(
        image,
        Events.NORMAL,
        "BuildSucceeded",
        "Pushed index " + index.digest() + " to " + status.getRepository() + ".");
  }

  /**
   * Signs a Ready image with the key its spec names, unless this key signed it already. The verdict
   * goes into status first: signing reads the phase and the index digest.
   */
  private Outcome signed(
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
    return Outcome.of(verdict);
  }

  // status

  @Override
  public ErrorStatusUpdateControl<OSImage> updateErrorStatus(
      OSImage image, Context<OSImage> context, Exception e) {
    LOG.warn("reconciling failed: {}", e.toString());
    OSImageStatus status = StatusUpdates.copy(json, image.getStatus(), OSImageStatus::new);
    status.setConditions(
        Conditions.set(
            status.getConditions(),
            Conditions.READY,
            false,
            e instanceof IOException ? "RegistryError" : "ReconcileError",
            String.valueOf(e.getMessage()),
            image.getMetadata().getGeneration()));
    // JOSDK retries the reconcile with its backoff.
    status.setConditions(
        Progress.RECONCILING.apply(status.getConditions(), image.getMetadata().getGeneration()));
    return ErrorStatusUpdateControl.patchStatus(StatusUpdates.fresh(image, status, OSImage::new));
  }

  private static String indexIn(OSImage image, OSImageStatus status, String where) {
    return "Index %s %s %s"
        .formatted(status.getDigest(), where, image.getSpec().getOutput().getRepository());
  }

  private static boolean was(OSImage image, Phase phase) {
    return image.getStatus() != null && image.getStatus().getPhase() == phase;
  }

  private static List<Architecture> architectures(OSImage image) {
    return image.getSpec().getArchitectures().stream().sorted().toList();
  }

  private static int attempts(ArchitectureStatus a) {
    return a.getAttempts() == null ? 0 : a.getAttempts();
  }
}

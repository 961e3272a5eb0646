package dev.lamina.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lamina.api.Conditions;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.plan.BuildPlan;
import dev.lamina.reconcile.BuildPods.Owned;
import dev.lamina.reconcile.BuildStateMachine.Step;
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
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

  private final OSImageWatches watches;
  private final OSImageSteps step;

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
    this.watches = view instanceof OSImageWatches w ? w : null;
    this.step =
        new OSImageSteps(
            settings,
            clock,
            view,
            new BuildPods(client, settings, view::created),
            new OSImageSigning(client));
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
              Owned.of(
                  image,
                  context.getSecondaryResources(Pod.class),
                  context.getSecondaryResources(ConfigMap.class));
          Reconciled done = reconcile(image, status, owned, LaminaMetrics.of(context));
          if (done.changed()) {
            // The status is the build's state (attempts, pods): the next reconcile, which a pod
            // event may start at once, must read this write, not the informer's older copy.
            StatusPatch.Written<OSImage> written =
                StatusPatch.write(context.getClient(), image, done.before(), done.after());
            if (written != null) {
              context
                  .eventSourceRetriever()
                  .getControllerEventSource()
                  .handleRecentResourceUpdate(
                      ResourceID.fromResource(image), written.updated(), written.base());
            }
          }
          Duration recheck = done.recheck();
          UpdateControl<OSImage> control = UpdateControl.noUpdate();
          if (recheck != null) {
            control.rescheduleAfter(recheck.isNegative() ? Duration.ofSeconds(1) : recheck);
          }
          return control;
        });
  }

  /**
   * What a reconcile left: when to look again (or null), and the status before and after it as JSON
   * trees ({@link StatusPatch#tree}), each serialized once for the comparison and the patch.
   */
  record Reconciled(Duration recheck, JsonNode before, JsonNode after) {
    boolean changed() {
      return !after.equals(before);
    }
  }

  /**
   * The steps, in order: layers → plan → policy → cache → build → publish → status. Each step
   * before the last may end the reconcile with the verdict it reached. Writes {@code status}.
   */
  Reconciled reconcile(OSImage image, OSImageStatus status, Owned owned, LaminaMetrics metrics)
      throws IOException {
    JsonNode before = StatusPatch.tree(json, image.getStatus());
    if (status.getArchitectures() == null) {
      status.setArchitectures(new ArrayList<>());
    }
    OSImageEvents notices = new OSImageEvents(events, metrics);
    Outcome outcome = steps(image, status, owned, notices);
    outcome.verdict().applyTo(status, image.getMetadata().getGeneration());
    status.setArchitectureList(OSImageStatus.architectureList(image.getSpec()));
    status.setObservedGeneration(image.getMetadata().getGeneration());
    Reconciled done = new Reconciled(outcome.recheck(), before, StatusPatch.tree(json, status));
    notices.statusWritten(image, status, done.changed());
    return done;
  }

  private Outcome steps(OSImage image, OSImageStatus status, Owned owned, OSImageEvents notices)
      throws IOException {
    LayerInputs layers = step.layers(image);
    if (!layers.allReady()) {
      return Outcome.of(step.waitForLayers(image, status, layers, owned));
    }
    BuildPlan plan;
    try {
      plan = step.plan(image, layers);
    } catch (IllegalArgumentException e) {
      // A resolved Layer that lacks what the image needs (an architecture): it won't by itself.
      return Outcome.of(Verdict.planFailed(e.getMessage() + "."));
    }
    String input = plan.inputDigest();
    Overlaps known = Overlaps.of(status, input);
    Optional<Verdict> denied = step.policy(image, status, layers, known, owned);
    if (denied.isPresent()) {
      return Outcome.of(denied.get());
    }
    if (image.getSpec().getOutput() == null) {
      return Outcome.of(
          Verdict.pending(
              "OutputMissing",
              "Set spec.output.repository: build pods push their artifacts there."));
    }
    Optional<SigningKeys.KeyPair> key;
    try {
      key = step.signingKey(image);
    } catch (SupplyException e) {
      // Before any build: an index pushed now could not be signed.
      return Outcome.of(Verdict.failed(e.reason(), e.getMessage() + "."));
    }
    step.forgetOtherInputs(status, input, layers, owned);
    step.rebuildIfAsked(image, status, notices);
    if (status.getDigest() != null
        && input.equals(status.getReadyInputDigest())
        && status.getPhase() == Phase.Ready) {
      step.cleanUp(owned);
      return Outcome.of(step.signed(image, status, plan, key, stillBuilt(image, status)));
    }
    if (!OSImageSteps.started(status, owned, input)) {
      Optional<Verdict> cached = step.cache(image, status, input, layers, known, owned, notices);
      if (cached.isPresent()) {
        return Outcome.of(step.signed(image, status, plan, key, cached.get()));
      }
    }
    List<Step> architectures = step.build(image, plan, status, owned, notices);
    Duration recheck = BuildStateMachine.earliest(architectures);
    denied = step.policyOnNewOverlaps(image, status, layers, known, owned);
    if (denied.isPresent()) {
      return new Outcome(denied.get(), recheck);
    }
    Optional<Verdict> building = Verdict.ofBuild(architectures, settings.maxBuildPods());
    if (building.isPresent()) {
      if (building.get().phase() == Phase.Failed) {
        notices.buildFailed(image, building.get());
      }
      return new Outcome(building.get(), recheck);
    }
    step.publish(image, status, input, notices);
    step.cleanUp(owned);
    return Outcome.of(step.signed(image, status, plan, key, built(image, status)));
  }

  private static Verdict built(OSImage image, OSImageStatus status) {
    return Verdict.built(OSImageSteps.indexIn(image, status, "is in") + ".");
  }

  /**
   * An image already Ready with this input: it keeps saying how it got there, so reconciling it
   * again writes nothing. Rewording a cache hit as built cost a status write per cached image on
   * each later reconcile, the whole fleet on an operator's start or fail-over.
   */
  private static Verdict stillBuilt(OSImage image, OSImageStatus status) {
    String cached = OSImageSteps.cacheHitMessage(image, status);
    return cached.equals(status.getMessage()) ? Verdict.built(cached) : built(image, status);
  }

  // status

  @Override
  public ErrorStatusUpdateControl<OSImage> updateErrorStatus(
      OSImage image, Context<OSImage> context, Exception thrown) {
    Exception e = StatusUpdates.cause(thrown);
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
}

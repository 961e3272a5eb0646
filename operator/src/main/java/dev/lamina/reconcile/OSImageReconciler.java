package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.Conditions;
import dev.lamina.api.Lamina;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Overlap;
import dev.lamina.api.Phase;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.PolicyVerdict;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.plan.IndexPublisher;
import dev.lamina.plan.InputDigest;
import dev.lamina.plan.PlanFactory;
import dev.lamina.policy.BuiltInRule;
import dev.lamina.policy.Subject;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Builds an OSImage: waits for its Layers, applies policy, computes the input digest, reuses a
 * cached index when the registry has one, else runs one build pod per architecture and, when all
 * have pushed their manifests, pushes the multi-architecture index.
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
  static final String LAYER_INDEX = "lamina-layers";
  static final String SUCCEEDED = "Succeeded";
  static final String FAILED = "Failed";
  static final String RUNNING = "Running";
  static final String PENDING = "Pending";
  static final String SCHEDULED = "Scheduled";
  static final String QUEUED = "Queued";

  private static final Logger LOG = LoggerFactory.getLogger(OSImageReconciler.class);

  private final OperatorSettings settings;
  private final Registries registries;
  private final PolicySet policies;
  private final KubernetesClient client;
  private final OSImageSigning signing;
  private final KubernetesSerialization json;
  private final Events events;
  private final Clock clock;
  private InformerEventSource<Layer, OSImage> layerSource;
  private PolicyWatch<OSImage> policyWatch;
  private InformerEventSource<Pod, OSImage> podSource;
  private BuildSlots slots;

  OSImageReconciler(
      OperatorSettings settings,
      Registries registries,
      PolicySet policies,
      KubernetesClient client,
      Clock clock) {
    this.settings = settings;
    this.registries = registries;
    this.policies = policies;
    this.client = client;
    this.json = client.getKubernetesSerialization();
    this.events = new Events(client);
    this.signing = new OSImageSigning(client);
    this.clock = clock;
  }

  @Override
  public List<EventSource<?, OSImage>> prepareEventSources(EventSourceContext<OSImage> context) {
    context
        .getPrimaryCache()
        .addIndexer(
            LAYER_INDEX,
            o ->
                o.getSpec().layerNames().stream()
                    .map(n -> o.getMetadata().getNamespace() + "/" + n)
                    .toList());
    podSource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Pod.class, OSImage.class)
                .withName("osimage-pods")
                .withLabelSelector(BuildPodFactory.LABEL_OSIMAGE)
                .withSecondaryToPrimaryMapper(this::podOwnerAndQueue)
                .build(),
            context);
    slots =
        new BuildSlots(
            settings.maxBuildPods(),
            () ->
                podSource
                    .list(p -> true)
                    .collect(
                        Collectors.toMap(
                            p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
                            p ->
                                !finished(p)
                                    && p.getMetadata().getDeletionTimestamp() == null
                                    && PodOutcome.unschedulableSince(p).isEmpty(),
                            (a, b) -> a)),
            QUEUE_STALE_AFTER);
    InformerEventSource<ConfigMap, OSImage> configMapSource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ConfigMap.class, OSImage.class)
                .withName("osimage-configmaps")
                .withLabelSelector(BuildPodFactory.LABEL_OSIMAGE)
                .build(),
            context);
    layerSource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Layer.class, OSImage.class)
                .withName("osimage-layers")
                // resolvedAt moves on every re-resolve of a tag; only a new result matters here.
                .withOnUpdateFilter((n, o) -> !resolution(n).equals(resolution(o)))
                .withSecondaryToPrimaryMapper(
                    l ->
                        context
                            .getPrimaryCache()
                            .byIndex(
                                LAYER_INDEX,
                                l.getMetadata().getNamespace() + "/" + l.getMetadata().getName())
                            .stream()
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    policyWatch =
        new PolicyWatch<>(
            "osimage",
            OSImage.class,
            context,
            policies,
            o -> o.getStatus() == null ? null : o.getStatus().getPolicy());
    LaminaMetrics.of(context).watchOSImages(() -> context.getPrimaryCache().list());
    return List.of(
        podSource,
        configMapSource,
        layerSource,
        policyWatch.policySource,
        policyWatch.namespaceSource);
  }

  /** How long a queued architecture keeps its place without asking again. */
  private static final Duration QUEUE_STALE_AFTER = Duration.ofMinutes(2);

  /** How often a queued image asks again when no pod's end wakes it first. */
  private static final Duration QUEUE_RECHECK = Duration.ofSeconds(30);

  private static final SecondaryToPrimaryMapper<Pod> OWNER =
      Mappers.fromOwnerReferences(OSImage.class);

  /**
   * A pod's owner and, when the pod has finished or is going, the images first in the build queue:
   * a freed slot wakes them at once rather than at their next recheck.
   */
  private Set<ResourceID> podOwnerAndQueue(Pod pod) {
    Set<ResourceID> ids = new java.util.HashSet<>(OWNER.toPrimaryResourceIDs(pod));
    if (slots != null && (finished(pod) || pod.getMetadata().getDeletionTimestamp() != null)) {
      slots.waiting().stream()
          .limit(Math.max(settings.maxBuildPods(), 1))
          .map(OSImageReconciler::queuedImage)
          .forEach(ids::add);
    }
    return ids;
  }

  private static String queueKey(OSImage image, Architecture arch) {
    return image.getMetadata().getNamespace() + "/" + image.getMetadata().getName() + "/" + arch;
  }

  private static ResourceID queuedImage(String key) {
    String[] parts = key.split("/", 3);
    return new ResourceID(parts[1], parts[0]);
  }

  private String resolution(Layer layer) {
    if (layer.getStatus() == null) {
      return "";
    }
    var s = json.clone(layer.getStatus());
    s.setResolvedAt(null);
    return layer.getMetadata().getGeneration() + json.asJson(s);
  }

  @Override
  public UpdateControl<OSImage> reconcile(OSImage image, Context<OSImage> context)
      throws IOException {
    MDC.put("namespace", image.getMetadata().getNamespace());
    MDC.put("name", image.getMetadata().getName());
    try {
      Run run = new Run(image, context);
      run.reconcile();
      return run.finish();
    } finally {
      MDC.remove("namespace");
      MDC.remove("name");
    }
  }

  @Override
  public ErrorStatusUpdateControl<OSImage> updateErrorStatus(
      OSImage image, Context<OSImage> context, Exception e) {
    LOG.warn("reconciling failed: {}", e.toString());
    OSImageStatus status =
        image.getStatus() == null ? new OSImageStatus() : json.clone(image.getStatus());
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
    return ErrorStatusUpdateControl.patchStatus(fresh(image, status));
  }

  /**
   * The state of one reconcile: the object read, the status being written, and when to look again.
   */
  private final class Run {
    final OSImage image;
    final Context<OSImage> context;
    final OSImageStatus old;
    final OSImageStatus status;
    final Long generation;
    final Instant now = clock.instant();
    Duration recheck;
    Map<String, Layer> layers;
    List<Pod> pods;
    Overlaps policyOverlaps;
    boolean layersStalled;

    Run(OSImage image, Context<OSImage> context) {
      this.image = image;
      this.context = context;
      this.old = image.getStatus();
      this.status = old == null ? new OSImageStatus() : json.clone(old);
      this.generation = image.getMetadata().getGeneration();
      if (status.getArchitectures() == null) {
        status.setArchitectures(new ArrayList<>());
      }
    }

    UpdateControl<OSImage> finish() {
      status.setArchitectureList(OSImageStatus.architectureList(image.getSpec()));
      status.setObservedGeneration(generation);
      status.setConditions(
          Progress.ofOSImage(
                  status.getPhase(),
                  Conditions.find(status.getConditions(), Conditions.READY)
                      .map(Condition::getReason)
                      .orElse(null),
                  layersStalled)
              .apply(status.getConditions(), generation));
      if (old == null || !json.asJson(status).equals(json.asJson(old))) {
        boolean specChanged =
            old == null || !Objects.equals(old.getObservedGeneration(), generation);
        for (StatusEvents.Event e : StatusEvents.of(old, status, specChanged)) {
          events.emit(image, e.type(), e.reason(), e.message());
        }
        // The status is the build's state (attempts, pods): the next reconcile, which a pod event
        // may start at once, must read this write, not the informer's older copy.
        PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(
            image, fresh(image, status), context);
      }
      UpdateControl<OSImage> control = UpdateControl.noUpdate();
      if (recheck != null) {
        control.rescheduleAfter(recheck.isNegative() ? Duration.ofSeconds(1) : recheck);
      }
      return control;
    }

    void ready(boolean ready, String reason, String message) {
      status.setConditions(
          Conditions.set(
              status.getConditions(), Conditions.READY, ready, reason, message, generation));
      status.setMessage(message);
    }

    void recheckIn(Duration d) {
      recheck = recheck == null || d.compareTo(recheck) < 0 ? d : recheck;
    }

    void reconcile() throws IOException {
      String namespace = image.getMetadata().getNamespace();
      Map<String, Layer> layers = new LinkedHashMap<>();
      Map<String, Layer> refused = new LinkedHashMap<>();
      List<LayerWait> waiting = new ArrayList<>();
      for (String name : image.getSpec().layerNames()) {
        Optional<Layer> layer = layerSource.get(new ResourceID(name, namespace));
        if (layer.isPresent() && layerReady(layer.get())) {
          layers.put(name, layer.get());
        } else if (layer.isPresent() && refusedByPolicy(layer.get())) {
          refused.put(name, layer.get());
        } else {
          waiting.add(LayerWait.of(name, layer));
        }
      }
      if (waiting.isEmpty() && !refused.isEmpty()) {
        // A Layer that policy refused is never resolved; its denials block the image instead of
        // leaving it waiting for a Layer that will not become Ready.
        this.layers = new LinkedHashMap<>(layers);
        this.layers.putAll(refused);
        this.pods = context.getSecondaryResources(Pod.class).stream().toList();
        policyOverlaps = new Overlaps(null, 0);
        if (deniedByPolicy()) {
          return;
        }
      }
      refused.forEach((name, layer) -> waiting.add(LayerWait.of(name, Optional.of(layer))));
      if (!waiting.isEmpty()) {
        status.setPhase(Phase.Pending);
        layersStalled = waiting.stream().anyMatch(LayerWait::stalled);
        ready(false, "LayersNotReady", LayerWait.message(waiting));
        return;
      }
      BuildPlan plan;
      try {
        plan = PlanFactory.create(image, layers, settings.maxLimits());
      } catch (IllegalArgumentException e) {
        // A resolved Layer that lacks what the image needs (an architecture): it won't by itself.
        status.setPhase(Phase.Pending);
        layersStalled = true;
        ready(false, "LayersNotReady", e.getMessage() + ".");
        return;
      }
      String input = plan.inputDigest();
      List<Pod> pods = context.getSecondaryResources(Pod.class).stream().toList();
      String inputLabel = BuildPodFactory.inputLabel(input);

      this.layers = layers;
      this.pods = pods;
      policyOverlaps = Overlaps.of(status, input);
      if (deniedByPolicy()) {
        return;
      }
      if (image.getSpec().getOutput() == null) {
        status.setPhase(Phase.Pending);
        ready(
            false,
            "OutputMissing",
            "Set spec.output.repository: build pods push their artifacts there.");
        return;
      }
      Optional<SigningKeys.KeyPair> signingKey;
      try {
        signingKey = signing.key(image);
      } catch (SupplyException e) {
        // Before any build: an index pushed now could not be signed.
        status.setPhase(Phase.Failed);
        ready(false, e.reason(), e.getMessage() + ".");
        return;
      }

      if (!input.equals(status.getInputDigest())) {
        // A new input: whatever was built or building belongs to the old one.
        status.setInputDigest(input);
        Map<String, String> digests = new java.util.TreeMap<>();
        layers.forEach((n, l) -> digests.put(n, l.getStatus().getDigest()));
        status.setLayerDigests(digests);
        status.setDigest(null);
        status.setRepository(null);
        status.setSigningKey(null);
        status.setArchitectures(new ArrayList<>());
        status.setConditions(remove(status.getConditions(), SCHEDULED));
      }
      deleteAll(pods, p -> !inputLabel.equals(label(p, BuildPodFactory.LABEL_INPUT)));
      List<ConfigMap> configMaps = context.getSecondaryResources(ConfigMap.class).stream().toList();
      deleteAll(configMaps, c -> !inputLabel.equals(label(c, BuildPodFactory.LABEL_INPUT)));

      rebuildIfAsked();
      String repository = image.getSpec().getOutput().getRepository();
      if (status.getDigest() != null && Phase.Ready == status.getPhase()) {
        signing.signIfNeeded(
            image, status, plan, repository(repository), settings.builderImage(), signingKey);
        ready(true, "Built", "Index " + status.getDigest() + " is in " + repository + ".");
        deleteAll(pods, p -> true);
        deleteAll(configMaps, c -> true);
        return;
      }
      boolean started =
          status.getArchitectures().stream().anyMatch(a -> count(a.getAttempts()) > 0);
      if (!started
          && pods.stream()
              .noneMatch(p -> inputLabel.equals(label(p, BuildPodFactory.LABEL_INPUT)))) {
        if (fromCache(repository, input)) {
          signing.signIfNeeded(
              image, status, plan, repository(repository), settings.builderImage(), signingKey);
          return;
        }
      }
      build(plan, pods, configMaps, repository);
      signing.signIfNeeded(
          image, status, plan, repository(repository), settings.builderImage(), signingKey);
    }

    /**
     * A new lamina.dev/rebuild value gives each Failed architecture a new attempt now, with its
     * spec.build.retries again; the value is recorded either way. A Ready image has its index for
     * this input already (a build would write the same bytes), so nothing is built for it.
     */
    void rebuildIfAsked() {
      Map<String, String> annotations = image.getMetadata().getAnnotations();
      String asked = annotations == null ? null : annotations.get(Lamina.REBUILD_ANNOTATION);
      if (asked == null || asked.equals(status.getRebuild())) {
        return;
      }
      status.setRebuild(asked);
      List<String> retried = new ArrayList<>();
      for (ArchitectureStatus a : status.getArchitectures()) {
        if (FAILED.equals(a.getState()) && a.getNextAttemptAt() == null) {
          a.setFirstAttempt(count(a.getAttempts()) + 1);
          a.setNextAttemptAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
          retried.add(a.getArchitecture());
        }
      }
      if (!retried.isEmpty()) {
        LOG.info("rebuild {} requested: retrying {}", asked, retried);
        events.emit(
            image,
            Events.NORMAL,
            "RebuildRequested",
            "Retrying "
                + String.join(", ", retried)
                + " ("
                + Lamina.REBUILD_ANNOTATION
                + "="
                + asked
                + ").");
      }
    }

    /**
     * Evaluates policy, overlaps included, into status; on Deny, stops the build and blocks. The
     * overlaps come from status, not from pods, so they outlive the pods that found them.
     */
    boolean deniedByPolicy() {
      PolicyStatus policy =
          policyWatch
              .engine()
              .assess(
                  Subject.osImage(image, layers, policyOverlaps.listed(), policyOverlaps.count()),
                  policyWatch.namespaceLabels(image))
              .status();
      status.setPolicy(policy);
      status.setConditions(policyCondition(status.getConditions(), policy, generation));
      if (policy.getVerdict() != PolicyVerdict.Deny) {
        return false;
      }
      deleteAll(pods, p -> true);
      status.setPhase(Phase.Blocked);
      if (old == null || old.getPhase() != Phase.Blocked)
        LaminaMetrics.of(context).policyDenied("OSImage");
      ready(false, "PolicyDenied", "Denied by policy: " + firstDeny(policy));
      return true;
    }

    /**
     * Evaluates policy again when builds (or the cache) just reported overlaps, so a rule that
     * denies them stops the image before its index is pushed or tagged, not on some later event.
     */
    boolean deniedByNewOverlaps(String input) {
      Overlaps now = Overlaps.of(status, input);
      if (now.equals(policyOverlaps)) {
        return false;
      }
      policyOverlaps = now;
      return deniedByPolicy();
    }

    /** Fills status from an index already tagged with the input digest; false when none is. */
    boolean fromCache(String repository, String input) throws IOException {
      OciRepository repo = repository(repository);
      Optional<Descriptor> index = repo.resolveTag(InputDigest.cacheTag(input));
      if (index.isEmpty()) {
        return false;
      }
      byte[] indexBytes = repo.manifestBytes(index.get().digest());
      Map<String, String> manifests = IndexDocuments.manifestsByArchitecture(indexBytes);
      List<ArchitectureStatus> archs = new ArrayList<>();
      for (Architecture arch : sortedArchitectures()) {
        String manifest = manifests.get(arch.name());
        if (manifest == null) {
          LOG.warn("cached index {} lacks {}; building", index.get().digest(), arch);
          return false;
        }
        ArchitectureStatus a = new ArchitectureStatus();
        a.setArchitecture(arch.name());
        a.setState(SUCCEEDED);
        a.setAttempts(0);
        a.setManifestDigest(manifest);
        byte[] manifestBytes = repo.manifestBytes(manifest);
        a.setArtifacts(IndexDocuments.artifacts(manifestBytes));
        IndexDocuments.buildConfig(repo, manifestBytes)
            .ifPresent(
                config -> {
                  a.setOverlaps(config.overlaps());
                  a.setOverlapCount(config.overlapCount());
                });
        archs.add(a);
      }
      status.setArchitectures(archs);
      if (deniedByNewOverlaps(input)) {
        return true;
      }
      String tag = image.getSpec().getOutput().getTag();
      if (tag != null && !tag.isEmpty()) {
        repo.pushManifest(indexBytes, dev.lamina.oci.MediaTypes.OCI_INDEX, tag);
      }
      status.setDigest(index.get().digest());
      status.setRepository(repository);
      status.setPhase(Phase.Ready);
      ready(
          true,
          "Built",
          "Index " + index.get().digest() + " was already in " + repository + " (cache hit).");
      if (old == null || !input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready) {
        LaminaMetrics.of(context).cacheHit();
      }
      // Only when the cache spared a build that a changed input would have started: on an
      // object's first reconcile the Ready message says so, and 5,000 new objects made 5,000
      // Events, half the operator's requests.
      if (old != null
          && old.getInputDigest() != null
          && (!input.equals(old.getInputDigest()) || old.getPhase() != Phase.Ready)) {
        events.emit(
            image,
            Events.NORMAL,
            "CacheHit",
            "Index " + index.get().digest() + " reused from " + repository + ".");
      }
      return true;
    }

    void build(BuildPlan plan, List<Pod> pods, List<ConfigMap> configMaps, String repository)
        throws IOException {
      String name = image.getMetadata().getName();
      String cmName = BuildPodFactory.configMapName(name, plan.inputDigest());
      ConfigMap planMap = BuildPodFactory.configMap(image, podPlan(plan));
      Optional<ConfigMap> existing =
          configMaps.stream().filter(c -> cmName.equals(c.getMetadata().getName())).findFirst();
      if (existing.isEmpty()) {
        create(planMap);
      } else if (!planMap.getData().equals(existing.get().getData())) {
        // Policy changed since the plan was written: the next attempt must read the new action.
        // Replaced rather than patched, with the verbs the operator already has; a running pod
        // keeps the plan it mounted.
        delete(existing.get());
        create(planMap);
      }
      int retries =
          image.getSpec().getBuild() == null ? 2 : image.getSpec().getBuild().effectiveRetries();
      List<String> building = new ArrayList<>();
      List<String> noNode = new ArrayList<>();
      List<String> unschedulable = new ArrayList<>();
      List<String> queued = new ArrayList<>();
      List<ArchitectureStatus> stuck = new ArrayList<>();
      ArchitectureStatus failed = null;
      List<ArchitectureStatus> archs = new ArrayList<>();
      for (Architecture arch : sortedArchitectures()) {
        ArchitectureStatus a =
            status.getArchitectures().stream()
                .filter(s -> arch.name().equals(s.getArchitecture()))
                .findFirst()
                .orElseGet(() -> newArch(arch));
        archs.add(a);
        if (SUCCEEDED.equals(a.getState())) {
          continue;
        }
        int attempts = count(a.getAttempts());
        Pod pod = a.getPod() == null ? null : find(pods, a.getPod());
        if (attempts == 0) {
          if (slot(plan, arch, 1)) {
            start(plan, arch, a, 1);
            building.add(arch.name());
          } else {
            a.setState(QUEUED);
            queued.add(arch.name());
          }
          continue;
        }
        if (FAILED.equals(a.getState())) {
          if (a.getNextAttemptAt() == null) {
            failed = failed == null ? a : failed;
            continue;
          }
          Instant next = Instant.parse(a.getNextAttemptAt());
          if (now.isBefore(next)) {
            recheckIn(Duration.between(now, next));
          } else if (slot(plan, arch, attempts + 1)) {
            if (pod != null) {
              delete(pod);
            }
            start(plan, arch, a, attempts + 1);
          } else {
            queued.add(arch.name());
            continue;
          }
          building.add(arch.name());
          continue;
        }
        if (pod == null && RUNNING.equals(a.getState())) {
          // Seen running, so the informer knew it: it is gone, not yet to come.
          if (failedAttempt(a, PodOutcome.deleted(a.getPod()), null, attempts, retries)) {
            building.add(arch.name());
          } else {
            failed = failed == null ? a : failed;
          }
          continue;
        }
        if (pod == null) {
          // Created but not yet in the informer's cache, or deleted by someone before it ran: the
          // create is idempotent by name, so making sure costs one request at most.
          create(
              BuildPodFactory.pod(
                  image,
                  plan,
                  arch,
                  attempts,
                  settings.builderImage(),
                  settings.insecureRegistries(),
                  settings.registryTimeouts()));
          building.add(arch.name());
          continue;
        }
        PodOutcome outcome = PodOutcome.of(pod);
        switch (outcome.state()) {
          case SUCCEEDED -> {
            LaminaMetrics.of(context).buildSucceeded(arch.name(), pod);
            a.setState(SUCCEEDED);
            a.setManifestDigest(outcome.result().manifestDigest());
            a.setNodeArchitecture(outcome.result().osArch());
            a.setArtifacts(IndexDocuments.artifacts(outcome.result()));
            a.setOverlaps(IndexDocuments.overlaps(outcome.result()));
            a.setOverlapCount(IndexDocuments.overlapCount(outcome.result()));
            a.setMessage(null);
          }
          case FAILED -> {
            if (outcome.result() != null && outcome.result().overlapCount() != null) {
              // A pod that refused to push overlaps policy denies reports them: policy, evaluated
              // below, then blocks the image instead of retrying it.
              a.setOverlaps(IndexDocuments.overlaps(outcome.result()));
              a.setOverlapCount(IndexDocuments.overlapCount(outcome.result()));
            }
            if (failedAttempt(a, outcome, pod, attempts, retries)) {
              building.add(arch.name());
            } else {
              failed = failed == null ? a : failed;
            }
          }
          default -> {
            a.setState(outcome.state());
            building.add(arch.name());
            if (outcome.reason() != null) {
              // The kubelet keeps trying (a Secret may yet appear); say what holds it meanwhile.
              a.setMessage(outcome.reason() + ": " + outcome.message());
              stuck.add(a);
            } else if (PodOutcome.CREATE_REASONS.contains(PodOutcome.reasonOf(a.getMessage()))) {
              a.setMessage(null);
            }
            Optional<Instant> since = PodOutcome.unschedulableSince(pod);
            if (since.isPresent()) {
              Instant due = since.get().plus(settings.noNodeGrace());
              if (now.isBefore(due)) {
                recheckIn(Duration.between(now, due));
              } else if (client
                  .nodes()
                  .withLabel("kubernetes.io/arch", arch.name())
                  .list()
                  .getItems()
                  .isEmpty()) {
                noNode.add(arch.name());
                recheckIn(settings.noNodeGrace());
              } else {
                unschedulable.add(arch.name());
                recheckIn(settings.noNodeGrace());
              }
            }
          }
        }
      }
      status.setArchitectures(archs);
      status.setRepository(repository);
      if (deniedByNewOverlaps(plan.inputDigest())) {
        return;
      }

      if (!noNode.isEmpty()) {
        String msg =
            "No node has kubernetes.io/arch="
                + String.join(", ", noNode)
                + "; the build pod waits for one.";
        status.setConditions(
            Conditions.set(
                status.getConditions(),
                SCHEDULED,
                false,
                "NoNodeForArchitecture",
                msg,
                generation));
        // Nothing is being built while the pod waits for a node that may never come.
        status.setPhase(Phase.Pending);
        ready(false, "NoNodeForArchitecture", msg);
        return;
      }
      if (!unschedulable.isEmpty()) {
        String msg =
            "The build pod for " + String.join(", ", unschedulable) + " cannot be scheduled.";
        status.setConditions(
            Conditions.set(
                status.getConditions(), SCHEDULED, false, "Unschedulable", msg, generation));
      } else {
        status.setConditions(remove(status.getConditions(), SCHEDULED));
      }
      if (failed != null) {
        String reason = PodOutcome.reasonOf(failed.getMessage());
        String msg =
            failed.getArchitecture()
                + " failed after "
                + failed.getAttempts()
                + " attempt(s): "
                + failed.getMessage();
        boolean wasFailed = old != null && old.getPhase() == Phase.Failed;
        status.setPhase(Phase.Failed);
        ready(false, reason, msg);
        if (!wasFailed) {
          events.emit(
              image,
              Events.WARNING,
              PodOutcome.IMAGE_PULL_FAILED.equals(reason) ? reason : "BuildFailed",
              msg);
        }
        return;
      }
      if (building.isEmpty() && !queued.isEmpty()) {
        status.setPhase(Phase.Queued);
        ready(
            false,
            QUEUED,
            "Waiting for a build slot for "
                + String.join(", ", queued)
                + ": at most "
                + settings.maxBuildPods()
                + " build pods run at once in the cluster.");
        return;
      }
      if (!building.isEmpty()) {
        status.setPhase(Phase.Building);
        if (!stuck.isEmpty()) {
          ArchitectureStatus first = stuck.get(0);
          ready(
              false,
              PodOutcome.reasonOf(first.getMessage()),
              "Building "
                  + String.join(", ", building)
                  + "; the "
                  + first.getArchitecture()
                  + " build pod cannot start: "
                  + first.getMessage());
        } else if (unschedulable.isEmpty()) {
          ready(false, "Building", "Building " + String.join(", ", building) + ".");
        } else {
          ready(
              false,
              "Unschedulable",
              status.getConditions().stream()
                  .filter(c -> SCHEDULED.equals(c.getType()))
                  .findFirst()
                  .map(Condition::getMessage)
                  .orElse(""));
        }
        return;
      }
      Descriptor index = pushIndex(repository, plan.inputDigest(), archs);
      status.setDigest(index.digest());
      status.setPhase(Phase.Ready);
      ready(true, "Built", "Index " + index.digest() + " is in " + repository + ".");
      events.emit(
          image,
          Events.NORMAL,
          "BuildSucceeded",
          "Pushed index " + index.digest() + " to " + repository + ".");
      deleteAll(pods, p -> true);
      deleteAll(configMaps, c -> true);
    }

    /**
     * The plan as the pods get it: with LMN009's action when it is Deny, so a pod whose union has
     * overlaps pushes nothing rather than manifests the image may never use.
     */
    BuildPlan podPlan(BuildPlan plan) {
      PolicyAction overlaps =
          policyWatch
              .engine()
              .action(BuiltInRule.INIT_LAYER_OVERLAP, image, policyWatch.namespaceLabels(image));
      return overlaps == PolicyAction.Deny
          ? plan.withOutput(plan.output().withOverlaps(PolicyAction.Deny))
          : plan;
    }

    /**
     * Records a failed attempt; returns true when another follows, after a backoff. A pod that
     * cannot finish by itself (its image cannot be pulled) is deleted, so the kubelet stops trying.
     */
    boolean failedAttempt(
        ArchitectureStatus a, PodOutcome outcome, Pod pod, int attempts, int retries) {
      LaminaMetrics.of(context).buildFailed(a.getArchitecture(), outcome.reason(), pod);
      a.setState(FAILED);
      a.setMessage(outcome.reason() + ": " + outcome.message());
      // Counted from the first attempt since the last rebuild request, if any.
      int round = attempts - (a.getFirstAttempt() == null ? 1 : a.getFirstAttempt()) + 1;
      if (outcome.retryAfter(round, retries)) {
        Duration backoff = settings.backoffAfter(round);
        a.setNextAttemptAt(now.plus(backoff).truncatedTo(ChronoUnit.SECONDS).toString());
        recheckIn(backoff);
        LOG.info(
            "{} attempt {} failed ({}); retrying in {}",
            a.getArchitecture(),
            attempts,
            outcome.reason(),
            backoff);
        events.emit(
            image,
            Events.WARNING,
            "BuildRetried",
            a.getArchitecture()
                + " attempt "
                + attempts
                + " failed ("
                + a.getMessage()
                + "); attempt "
                + (attempts + 1)
                + " follows.");
        return true;
      }
      a.setNextAttemptAt(null);
      if (pod != null && !finished(pod)) {
        delete(pod);
      }
      return false;
    }

    Descriptor pushIndex(String repository, String input, List<ArchitectureStatus> archs)
        throws IOException {
      Map<String, String> manifests = new LinkedHashMap<>();
      archs.forEach(a -> manifests.put(a.getArchitecture(), a.getManifestDigest()));
      List<String> tags = new ArrayList<>();
      tags.add(InputDigest.cacheTag(input));
      String tag = image.getSpec().getOutput().getTag();
      if (tag != null && !tag.isEmpty()) {
        tags.add(tag);
      }
      // The same publisher as lamina build, so a cluster and a laptop push byte-identical indexes.
      return IndexPublisher.publish(repository(repository), manifests, tags);
    }

    /**
     * Whether the cluster-wide limit lets this architecture's pod start now; when not, it keeps its
     * place in the queue and looks again when a pod ends (or at the latest after a while).
     */
    boolean slot(BuildPlan plan, Architecture arch, int attempt) {
      String pod =
          BuildPodFactory.podName(image.getMetadata().getName(), arch, plan.inputDigest(), attempt);
      String key = image.getMetadata().getNamespace() + "/" + pod;
      if (slots.acquire(queueKey(image, arch), key, now).granted()) {
        return true;
      }
      recheckIn(QUEUE_RECHECK);
      return false;
    }

    void start(BuildPlan plan, Architecture arch, ArchitectureStatus a, int attempt) {
      Pod pod =
          BuildPodFactory.pod(
              image,
              plan,
              arch,
              attempt,
              settings.builderImage(),
              settings.insecureRegistries(),
              settings.registryTimeouts());
      create(pod);
      LaminaMetrics.of(context).buildStarted(arch.name());
      a.setAttempts(attempt);
      a.setPod(pod.getMetadata().getName());
      a.setState(PENDING);
      a.setNextAttemptAt(null);
      a.setManifestDigest(null);
      a.setArtifacts(null);
      a.setOverlaps(null);
      a.setOverlapCount(null);
      events.emit(
          image,
          Events.NORMAL,
          "BuildStarted",
          "Started " + pod.getMetadata().getName() + " (" + arch + ", attempt " + attempt + ").");
    }

    void create(HasMetadata object) {
      try {
        HasMetadata created = client.resource(object).create();
        if (created instanceof Pod p) {
          podSource.handleRecentResourceCreate(ResourceID.fromResource(image), p);
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw e;
        }
      }
    }

    /** The output repository, with the push Secret's credentials: the operator pushes the index. */
    OciRepository repository(String repository) throws IOException {
      return registries
          .client(image.getMetadata().getNamespace(), image.getSpec().getOutput().getPushSecret())
          .repository(repository);
    }

    List<Architecture> sortedArchitectures() {
      return image.getSpec().getArchitectures().stream().sorted().toList();
    }
  }

  private void deleteAll(
      List<? extends HasMetadata> objects, java.util.function.Predicate<HasMetadata> which) {
    for (HasMetadata o : objects) {
      if (which.test(o) && o.getMetadata().getDeletionTimestamp() == null) {
        delete(o);
      }
    }
  }

  private void delete(HasMetadata o) {
    try {
      client.resource(o).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  private static boolean finished(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return SUCCEEDED.equals(phase) || FAILED.equals(phase);
  }

  private static Pod find(List<Pod> pods, String name) {
    return pods.stream()
        .filter(p -> name.equals(p.getMetadata().getName()))
        .findFirst()
        .orElse(null);
  }

  /**
   * What the finished builds of the current input found about init layers writing the same path.
   *
   * @param listed the listed overlaps of every architecture; null while no build has reported
   * @param count the largest count an architecture reported
   */
  record Overlaps(List<Overlap> listed, int count) {
    static Overlaps of(OSImageStatus status, String input) {
      if (!input.equals(status.getInputDigest()) || status.getArchitectures() == null) {
        return new Overlaps(null, 0);
      }
      List<Overlap> listed = null;
      int count = 0;
      for (ArchitectureStatus a : status.getArchitectures()) {
        if (a.getOverlapCount() == null) {
          continue;
        }
        listed = listed == null ? new ArrayList<>() : listed;
        if (a.getOverlaps() != null) {
          listed.addAll(a.getOverlaps());
        }
        count = Math.max(count, a.getOverlapCount());
      }
      return new Overlaps(listed, count);
    }
  }

  private static String label(HasMetadata o, String key) {
    return o.getMetadata().getLabels() == null ? null : o.getMetadata().getLabels().get(key);
  }

  private static int count(Integer i) {
    return i == null ? 0 : i;
  }

  private static ArchitectureStatus newArch(Architecture arch) {
    ArchitectureStatus a = new ArchitectureStatus();
    a.setArchitecture(arch.name());
    a.setState(PENDING);
    a.setAttempts(0);
    return a;
  }

  /** A Layer whose reference policy refused, so the operator never resolved it. */
  private static boolean refusedByPolicy(Layer layer) {
    return layer.getStatus() != null
        && Objects.equals(
            layer.getMetadata().getGeneration(), layer.getStatus().getObservedGeneration())
        && Conditions.find(layer.getStatus().getConditions(), Conditions.READY)
            .map(
                c ->
                    LayerReconciler.REFUSED.equals(c.getReason())
                        || LayerReconciler.UNSIGNED.equals(c.getReason())
                        || LayerReconciler.UNTRUSTED.equals(c.getReason()))
            .orElse(false);
  }

  private static boolean layerReady(Layer layer) {
    return layer.getStatus() != null
        && Objects.equals(
            layer.getMetadata().getGeneration(), layer.getStatus().getObservedGeneration())
        && Conditions.isTrue(layer.getStatus().getConditions(), Conditions.READY);
  }

  private static String firstDeny(PolicyStatus policy) {
    if (policy.getResults() == null) {
      return "a rule denied it.";
    }
    return policy.getResults().stream()
        .filter(r -> r.getAction() == dev.lamina.api.PolicyAction.Deny)
        .findFirst()
        .map(r -> r.getRule() + " " + r.getMessage())
        .orElse("a rule denied it.");
  }

  /** The PolicyPassed condition for a verdict; shared with the Layer reconciler. */
  static List<Condition> policyCondition(
      List<Condition> conditions, PolicyStatus policy, Long generation) {
    PolicyVerdict v =
        policy == null || policy.getVerdict() == null ? PolicyVerdict.Pass : policy.getVerdict();
    return switch (v) {
      case Deny ->
          Conditions.set(
              conditions,
              Conditions.POLICY_PASSED,
              false,
              "PolicyDenied",
              "Denied by policy: " + firstDeny(policy),
              generation);
      case Warn ->
          Conditions.set(
              conditions,
              Conditions.POLICY_PASSED,
              true,
              "PolicyWarned",
              count(policy.getWarn()) + " policy warning(s).",
              generation);
      case Pass ->
          Conditions.set(
              conditions,
              Conditions.POLICY_PASSED,
              true,
              "PolicyPassed",
              "All policy rules pass.",
              generation);
    };
  }

  private static List<Condition> remove(List<Condition> conditions, String type) {
    return conditions == null
        ? new ArrayList<>()
        : conditions.stream()
            .filter(c -> !type.equals(c.getType()))
            .collect(Collectors.toCollection(ArrayList::new));
  }

  static OSImage fresh(OSImage image, OSImageStatus status) {
    OSImage f = new OSImage();
    f.setMetadata(
        new ObjectMetaBuilder()
            .withName(image.getMetadata().getName())
            .withNamespace(image.getMetadata().getNamespace())
            .build());
    f.setStatus(status);
    return f;
  }
}

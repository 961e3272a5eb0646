package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the OSImage controller watches (its pods and ConfigMaps, its Layers, nodes, policies and
 * namespaces) and, through the informers' caches, the {@link ClusterView} its reconciler reads.
 */
final class OSImageWatches implements ClusterView {
  static final String LAYER_INDEX = "lamina-layers";

  private final KubernetesSerialization json;
  private final Registries registries;
  private final PolicySet policies;
  private InformerEventSource<Layer, OSImage> layerSource;
  private InformerEventSource<Pod, OSImage> podSource;
  private InformerEventSource<Node, OSImage> nodeSource;
  private PolicyWatch<OSImage> policyWatch;
  private BuildSlots slots;

  /** How long a queued architecture keeps its place without asking again. */
  private static final Duration QUEUE_STALE_AFTER = Duration.ofMinutes(2);

  private static final SecondaryToPrimaryMapper<Pod> OWNER =
      Mappers.fromOwnerReferences(OSImage.class);

  private final int maxBuildPods;

  /**
   * @param maxBuildPods build pods at once in the whole cluster; 0 for no limit
   */
  OSImageWatches(
      KubernetesSerialization json, Registries registries, PolicySet policies, int maxBuildPods) {
    this.maxBuildPods = maxBuildPods;
    this.json = json;
    this.registries = registries;
    this.policies = policies;
  }

  /** The event sources of the OSImage controller; their caches are this view. */
  List<EventSource<?, OSImage>> prepare(EventSourceContext<OSImage> context) {
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
                // Seen here, the pod is in the informer's cache. Not in the mapper: JOSDK also
                // calls it for a pod just created, before the cache lists it, and the pod would
                // then be counted nowhere.
                .withOnUpdateFilter(
                    (pod, old) -> {
                      observed(pod);
                      return true;
                    })
                .withOnDeleteFilter(
                    (pod, unknown) -> {
                      observed(pod);
                      return true;
                    })
                .build(),
            context);
    slots =
        new BuildSlots(
            maxBuildPods,
            () ->
                podSource
                    .list(p -> true)
                    .collect(
                        Collectors.toMap(
                            p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(),
                            p -> holdsSlot(p, this::hasNode),
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
    // Only a cache: whether an architecture has a node is asked after the grace period, and a new
    // node's effect (a pod scheduled) arrives as a pod event.
    nodeSource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Node.class, OSImage.class)
                .withName("osimage-nodes")
                .withOnAddFilter(n -> false)
                .withOnUpdateFilter((n, o) -> false)
                .withOnDeleteFilter((n, gone) -> false)
                .withSecondaryToPrimaryMapper(n -> Set.of())
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
        nodeSource,
        policyWatch.policySource,
        policyWatch.namespaceSource);
  }

  /**
   * A pod's owner and, when the pod has finished or is going, the images first in the build queue:
   * a freed slot wakes them at once rather than at their next recheck.
   */
  private Set<ResourceID> podOwnerAndQueue(Pod pod) {
    Set<ResourceID> ids = new HashSet<>(OWNER.toPrimaryResourceIDs(pod));
    if (slots != null
        && (PodOutcome.finished(pod) || pod.getMetadata().getDeletionTimestamp() != null)) {
      slots.waiting().stream()
          .limit(Math.max(maxBuildPods, 1))
          .map(OSImageWatches::queuedImage)
          .forEach(ids::add);
    }
    return ids;
  }

  private void observed(Pod pod) {
    if (slots != null) {
      slots.observed(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
    }
  }

  /**
   * Whether a build pod counts against the limit: until it has finished or is gone, since a pod
   * being deleted still runs on its node until it stops. One the scheduler refused holds its slot
   * while a node of its architecture exists (the node is full; the pod runs when room frees), and
   * none when there is no such node, so that an architecture without nodes does not hold back the
   * others.
   */
  static boolean holdsSlot(Pod pod, Predicate<String> architectureHasNode) {
    if (PodOutcome.finished(pod)) {
      return false;
    }
    if (PodOutcome.unschedulableSince(pod).isEmpty()) {
      return true;
    }
    Map<String, String> selector = pod.getSpec() == null ? null : pod.getSpec().getNodeSelector();
    String arch = selector == null ? null : selector.get(BuildPodFactory.NODE_ARCH_LABEL);
    return arch != null && architectureHasNode.test(arch);
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
  public Optional<Layer> layer(String namespace, String name) {
    return layerSource.get(new ResourceID(name, namespace));
  }

  @Override
  public boolean hasNode(Architecture arch) {
    return hasNode(arch.name());
  }

  private boolean hasNode(String arch) {
    return nodeSource
        .list(
            n ->
                n.getMetadata().getLabels() != null
                    && arch.equals(
                        n.getMetadata().getLabels().get(BuildPodFactory.NODE_ARCH_LABEL)))
        .findAny()
        .isPresent();
  }

  @Override
  public PolicyEngine policy() {
    return policyWatch.engine();
  }

  @Override
  public Map<String, String> namespaceLabels(String namespace) {
    return policyWatch.namespaceLabels(namespace);
  }

  @Override
  public OciRepository output(OSImage image) throws IOException {
    return registries
        .client(image.getMetadata().getNamespace(), image.getSpec().getOutput().getPushSecret())
        .repository(image.getSpec().getOutput().getRepository());
  }

  @Override
  public boolean slot(OSImage image, Architecture arch, String pod, Instant now) {
    String key = image.getMetadata().getNamespace() + "/" + pod;
    return slots.acquire(queueKey(image, arch), key, now).granted();
  }

  @Override
  public void created(OSImage image, Pod pod) {
    podSource.handleRecentResourceCreate(ResourceID.fromResource(image), pod);
  }
}

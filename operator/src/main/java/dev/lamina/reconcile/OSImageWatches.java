package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.oci.OciRepository;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

  OSImageWatches(KubernetesSerialization json, Registries registries, PolicySet policies) {
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
    podSource = owned(Pod.class, "osimage-pods", context);
    InformerEventSource<ConfigMap, OSImage> configMapSource =
        owned(ConfigMap.class, "osimage-configmaps", context);
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

  private static <R extends HasMetadata> InformerEventSource<R, OSImage> owned(
      Class<R> type, String name, EventSourceContext<OSImage> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(type, OSImage.class)
            .withName(name)
            .withLabelSelector(BuildPodFactory.LABEL_OSIMAGE)
            .build(),
        context);
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
    return nodeSource
        .list(
            n ->
                n.getMetadata().getLabels() != null
                    && arch.name().equals(n.getMetadata().getLabels().get("kubernetes.io/arch")))
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
  public void created(OSImage image, Pod pod) {
    podSource.handleRecentResourceCreate(ResourceID.fromResource(image), pod);
  }
}

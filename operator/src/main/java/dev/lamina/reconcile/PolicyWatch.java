package dev.lamina.reconcile;

import dev.lamina.api.ImagePolicy;
import dev.lamina.api.PolicyStatus;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The ImagePolicy and Namespace informers through which a reconciler re-evaluates policy on its
 * primaries: a policy change reaches the primaries it selects or was applied to, a namespace label
 * change the primaries in that namespace.
 */
final class PolicyWatch<P extends HasMetadata> {
  final InformerEventSource<ImagePolicy, P> policySource;
  final InformerEventSource<Namespace, P> namespaceSource;
  private final PolicySet policies;
  private final Function<P, PolicyStatus> policyStatus;

  /**
   * @param prefix names the event sources {@code <prefix>-policies} and {@code <prefix>-namespaces}
   * @param policyStatus the policy status a primary carries, or null
   */
  PolicyWatch(
      String prefix,
      Class<P> primary,
      EventSourceContext<P> context,
      PolicySet policies,
      Function<P, PolicyStatus> policyStatus) {
    this.policies = policies;
    this.policyStatus = policyStatus;
    policySource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(ImagePolicy.class, primary)
                .withName(prefix + "-policies")
                // Cluster-scoped: whole, even when the controller watches some namespaces only.
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(
                    p ->
                        context
                            .getPrimaryCache()
                            .list(o -> affects(p, o))
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
    namespaceSource =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, primary)
                .withName(prefix + "-namespaces")
                .withWatchAllNamespaces()
                .withOnAddFilter(n -> false)
                .withOnUpdateFilter(
                    (n, o) ->
                        !Objects.equals(n.getMetadata().getLabels(), o.getMetadata().getLabels()))
                .withSecondaryToPrimaryMapper(
                    n ->
                        context
                            .getPrimaryCache()
                            .list(n.getMetadata().getName())
                            .map(ResourceID::fromResource)
                            .collect(Collectors.toSet()))
                .build(),
            context);
  }

  /** The engine compiled from the policies in the informer's cache. */
  PolicyEngine engine() {
    return policies.engine(policySource.list());
  }

  /** A policy change matters to a primary it selects now or was applied to before. */
  private boolean affects(ImagePolicy policy, P primary) {
    if (PolicySet.applied(policyStatus.apply(primary), policy.getMetadata().getName())) {
      return true;
    }
    return engine().selects(policy, primary, namespaceLabels(primary));
  }

  Map<String, String> namespaceLabels(HasMetadata object) {
    return namespaceLabels(object.getMetadata().getNamespace());
  }

  Map<String, String> namespaceLabels(String namespace) {
    return PolicySet.labels(namespaceSource.get(new ResourceID(namespace)).orElse(null));
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.ImagePolicy;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The compiled ImagePolicies in force. Compiling CEL is costly and the policies change rarely, so
 * the engine is rebuilt only when a policy's generation changes, not on every reconcile.
 */
final class PolicySet {
  private String key;
  private PolicyEngine engine;

  synchronized PolicyEngine engine(Stream<ImagePolicy> policies) {
    List<ImagePolicy> sorted =
        policies.sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
    String k =
        sorted.stream()
            .map(p -> p.getMetadata().getName() + ":" + p.getMetadata().getGeneration())
            .collect(Collectors.joining(","));
    if (engine == null || !k.equals(key)) {
      engine = PolicyEngine.compile(sorted);
      key = k;
    }
    return engine;
  }

  /** Whether {@code status} says that {@code policy} was applied to the object. */
  static boolean applied(dev.lamina.api.PolicyStatus status, String policy) {
    return status != null
        && status.getPolicies() != null
        && status.getPolicies().stream().anyMatch(a -> policy.equals(a.getName()));
  }

  static Map<String, String> labels(HasMetadata namespace) {
    return namespace == null || namespace.getMetadata().getLabels() == null
        ? Map.of()
        : namespace.getMetadata().getLabels();
  }
}

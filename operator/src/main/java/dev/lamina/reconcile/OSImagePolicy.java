package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyStatus;
import dev.lamina.plan.BuildPlan;
import dev.lamina.policy.BuiltInRule;
import dev.lamina.policy.Subject;
import java.util.Map;

/** The policy step of the OSImage reconciler: what the ImagePolicies in force say of an image. */
final class OSImagePolicy {
  private final ClusterView view;

  OSImagePolicy(ClusterView view) {
    this.view = view;
  }

  /**
   * Evaluates policy, overlaps included, and records the verdict and the PolicyPassed condition in
   * {@code status}.
   */
  PolicyStatus assess(
      OSImage image, OSImageStatus status, Map<String, Layer> layers, Overlaps overlaps) {
    PolicyStatus policy =
        view.policy()
            .assess(
                Subject.osImage(image, layers, overlaps.listed(), overlaps.count()),
                view.namespaceLabels(image.getMetadata().getNamespace()))
            .status();
    status.setPolicy(policy);
    status.setConditions(
        Conditions.policy(status.getConditions(), policy, image.getMetadata().getGeneration()));
    return policy;
  }

  /**
   * The plan as the pods get it: with LMN009's action when it is Deny, so a pod whose union has
   * overlaps pushes nothing rather than manifests the image may never use.
   */
  BuildPlan podPlan(OSImage image, BuildPlan plan) {
    PolicyAction overlaps =
        view.policy()
            .action(
                BuiltInRule.INIT_LAYER_OVERLAP,
                image,
                view.namespaceLabels(image.getMetadata().getNamespace()));
    return overlaps == PolicyAction.Deny
        ? plan.withOutput(plan.output().withOverlaps(PolicyAction.Deny))
        : plan;
  }
}

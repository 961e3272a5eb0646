package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.ImagePolicyStatus;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.MDC;

/**
 * Compiles each ImagePolicy on its own and reports whether it is in force and how many rules it
 * has.
 */
@ControllerConfiguration(name = "imagepolicy")
public final class ImagePolicyReconciler implements Reconciler<ImagePolicy> {
  private final KubernetesSerialization json;

  ImagePolicyReconciler(KubernetesSerialization json) {
    this.json = json;
  }

  @Override
  public UpdateControl<ImagePolicy> reconcile(ImagePolicy policy, Context<ImagePolicy> context) {
    String name = policy.getMetadata().getName();
    MDC.put("name", name);
    try {
      PolicyEngine engine = PolicyEngine.compile(List.of(policy));
      Map<String, String> errors = engine.compileErrors();
      ImagePolicyStatus old = policy.getStatus();
      ImagePolicyStatus status = old == null ? new ImagePolicyStatus() : json.clone(old);
      Long generation = policy.getMetadata().getGeneration();
      status.setObservedGeneration(generation);
      if (errors.isEmpty()) {
        status.setRuleCount(engine.ruleCount(name));
        status.setConditions(
            Conditions.set(
                status.getConditions(),
                Conditions.READY,
                true,
                "Compiled",
                "The policy is in force with " + status.getRuleCount() + " rule(s).",
                generation));
      } else {
        status.setRuleCount(0);
        String message =
            errors.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
        status.setConditions(
            Conditions.set(
                status.getConditions(),
                Conditions.READY,
                false,
                "CompileError",
                "The policy is not applied: " + message,
                generation));
      }
      status.setConditions(
          Progress.ofImagePolicy(errors.isEmpty()).apply(status.getConditions(), generation));
      if (old != null && json.asJson(old).equals(json.asJson(status))) {
        return UpdateControl.noUpdate();
      }
      ImagePolicy fresh = new ImagePolicy();
      fresh.setMetadata(new ObjectMetaBuilder().withName(name).build());
      fresh.setStatus(status);
      return UpdateControl.patchStatus(fresh);
    } finally {
      MDC.remove("name");
    }
  }
}

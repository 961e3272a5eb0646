package dev.lamina.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.time.Clock;

/** Wires Lamina's reconcilers into a JOSDK operator; used by the CLI and by the tests. */
public final class OperatorMain {
  private final Operator operator;

  public OperatorMain(KubernetesClient client, OperatorSettings settings) {
    this.operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withStopOnInformerErrorDuringStartup(true)
                    // The caller owns the client: tests share one across operator restarts.
                    .withCloseClientOnStop(false));
    Registries registries =
        new Registries(client, settings.insecureRegistries(), settings.registryTimeouts());
    PolicySet policies = new PolicySet();
    Clock clock = Clock.systemUTC();
    operator.register(new LayerReconciler(settings, registries, policies, client, clock));
    operator.register(new OSImageReconciler(settings, registries, policies, client, clock));
    operator.register(new ImagePolicyReconciler(client.getKubernetesSerialization()));
  }

  public void start() {
    operator.start();
  }

  public void stop() {
    operator.stop();
  }

  public boolean isHealthy() {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  public boolean isReady() {
    return isHealthy();
  }
}

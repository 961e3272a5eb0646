package dev.lamina.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;

/** Wires Lamina's reconcilers into a JOSDK operator; used by the CLI and by the tests. */
public final class OperatorMain {
  private final Operator operator;

  public OperatorMain(KubernetesClient client) {
    this.operator = new Operator(o -> o.withKubernetesClient(client).withStopOnInformerErrorDuringStartup(true));
    // Reconcilers are registered here by the operator issue.
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

package dev.lamina.reconcile;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.OperatorException;
import java.io.IOException;
import java.util.function.Supplier;
import org.slf4j.MDC;

/** The plumbing every Lamina reconciler shares: logging context and status writes. */
final class StatusUpdates {
  private StatusUpdates() {}

  /** A reconcile body; it may fail with a registry error, which JOSDK retries. */
  interface Body<T> {
    T run() throws IOException;
  }

  /** Runs {@code body} with the resource's namespace and name in the logging context. */
  static <T> T logged(CustomResource<?, ?> resource, Body<T> body) throws IOException {
    MDC.put("namespace", resource.getMetadata().getNamespace());
    MDC.put("name", resource.getMetadata().getName());
    try {
      return body.run();
    } finally {
      MDC.remove("namespace");
      MDC.remove("name");
    }
  }

  /**
   * What the reconcile itself threw: JOSDK's Micrometer metrics wrap it in an OperatorException,
   * which would hide a NotFoundException or an IOException from the error status.
   */
  static Exception cause(Exception e) {
    Exception c = e;
    while (c instanceof OperatorException && c.getCause() instanceof Exception inner) {
      c = inner;
    }
    return c;
  }

  /** A copy of {@code status} to change, or a new one when the resource has none yet. */
  static <S> S copy(KubernetesSerialization json, S status, Supplier<S> empty) {
    return status == null ? empty.get() : json.clone(status);
  }

  /** Whether writing {@code status} would change what the resource holds. */
  static boolean changed(KubernetesSerialization json, Object old, Object status) {
    return old == null || !json.asJson(status).equals(json.asJson(old));
  }

  /**
   * An object that holds only the resource's name, namespace and {@code status}: patching it writes
   * status and nothing else, whatever the resource read held.
   */
  static <R extends CustomResource<?, S>, S> R fresh(R resource, S status, Supplier<R> empty) {
    R f = empty.get();
    f.setMetadata(
        new ObjectMetaBuilder()
            .withName(resource.getMetadata().getName())
            .withNamespace(resource.getMetadata().getNamespace())
            .build());
    f.setStatus(status);
    return f;
  }
}

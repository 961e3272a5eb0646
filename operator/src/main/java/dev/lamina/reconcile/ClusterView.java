package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.Layer;
import dev.lamina.api.OSImage;
import dev.lamina.oci.OciRepository;
import dev.lamina.policy.PolicyEngine;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the OSImage reconciler reads beyond the OSImage itself: informer caches in the operator,
 * fixed objects in tests. Only {@link #output} talks to anything remote.
 */
interface ClusterView {
  Optional<Layer> layer(String namespace, String name);

  /** Whether any node is labelled with this architecture. */
  boolean hasNode(Architecture arch);

  /** The policy engine compiled from the ImagePolicies in force. */
  PolicyEngine policy();

  Map<String, String> namespaceLabels(String namespace);

  /** The image's output repository, with its push Secret's credentials. */
  OciRepository output(OSImage image) throws IOException;

  /**
   * Whether the cluster-wide limit on build pods lets {@code pod} start now; when not, the
   * architecture keeps its place in the queue for its next ask.
   */
  default boolean slot(OSImage image, Architecture arch, String pod, Instant now) {
    return true;
  }

  /** Told of a pod just created, so the next reconcile finds it before its watch event. */
  default void created(OSImage image, Pod pod) {}
}

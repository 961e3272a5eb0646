package dev.lamina.cli;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The operator's own image by digest, read from its pod's status, so build pods run exactly the
 * image the operator runs: a tag moved after the operator started cannot give them another one, and
 * no second copy of the image name has to be kept in step with the Deployment's.
 */
final class OwnImage {
  /** The container of deploy/base/operator.yaml; any other single container is taken as well. */
  static final String CONTAINER = "operator";

  private static final Pattern DIGEST_REF = Pattern.compile("[^@\\s]+@sha256:[0-9a-f]{64}");

  private OwnImage() {}

  /**
   * {@code repo@sha256:…} from the status of the operator's container: its {@code imageID}, which
   * container runtimes report as the repository digest of what they pulled (for a multi-arch image,
   * the index). Empty while the kubelet has not reported it yet, or when the runtime reports only a
   * local image id.
   */
  static Optional<String> fromPod(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    Optional<ContainerStatus> status =
        statuses.stream().filter(s -> CONTAINER.equals(s.getName())).findFirst();
    if (status.isEmpty() && statuses.size() == 1) {
      status = Optional.of(statuses.get(0));
    }
    return status
        .map(ContainerStatus::getImageID)
        // Docker-based runtimes prefix the reference with a scheme.
        .map(id -> id.replaceFirst("^[a-z-]+://", ""))
        .filter(id -> DIGEST_REF.matcher(id).matches());
  }

  /**
   * Reads the pod {@code namespace/name} until its status names the image by digest, for at most
   * {@code wait}: the kubelet reports a started container's status a moment after it starts.
   */
  static String lookUp(KubernetesClient client, String namespace, String name, Duration wait)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(wait);
    String last = "not found";
    while (true) {
      Pod pod = client.pods().inNamespace(namespace).withName(name).get();
      if (pod != null) {
        Optional<String> ref = fromPod(pod);
        if (ref.isPresent()) {
          return ref.get();
        }
        last = "no container status with an image digest yet";
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            "cannot find the operator's own image from pod "
                + namespace
                + "/"
                + name
                + " ("
                + last
                + "): set --builder-image or LAMINA_BUILDER_IMAGE");
      }
      Thread.sleep(1000);
    }
  }
}

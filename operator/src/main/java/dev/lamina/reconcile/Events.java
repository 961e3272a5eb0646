package dev.lamina.reconcile;

import dev.lamina.plan.BuildPodFactory;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records Kubernetes Events on Lamina objects; a lost event is logged, never fatal. */
final class Events {
  static final String NORMAL = "Normal";
  static final String WARNING = "Warning";
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private final KubernetesClient client;

  Events(KubernetesClient client) {
    this.client = client;
  }

  void emit(HasMetadata object, String type, String reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    // The event's own name must fit 253 characters, as the object's name alone may.
    String name =
        BuildPodFactory.shortName(object.getMetadata().getName())
            + "."
            + Long.toHexString(System.currentTimeMillis())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
    try {
      client
          .v1()
          .events()
          .inNamespace(object.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(object.getMetadata().getNamespace())
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(object.getApiVersion())
                          .withKind(object.getKind())
                          .withName(object.getMetadata().getName())
                          .withNamespace(object.getMetadata().getNamespace())
                          .withUid(object.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent("lamina-operator")
                  .endSource()
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      LOG.warn("could not record event {}: {}", reason, e.getMessage());
    }
  }
}

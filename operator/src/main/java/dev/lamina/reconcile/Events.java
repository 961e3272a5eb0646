package dev.lamina.reconcile;

import dev.lamina.plan.BuildPodFactory;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes Events on Lamina objects, aggregated as client-go's recorder does and kubectl
 * shows them: a repeat of the same type, reason and message on the same object raises the count and
 * lastTimestamp of one Event instead of adding another. The Event's name is derived from what it
 * says, so an operator that restarted (or another replica) finds and counts the same Event. A lost
 * event is logged, never fatal.
 */
final class Events {
  static final String NORMAL = "Normal";
  static final String WARNING = "Warning";
  static final String COMPONENT = "lamina-operator";
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  /** How many recent Events keep their count in memory; older ones are read back when repeated. */
  private static final int REMEMBERED = 4096;

  private final KubernetesClient client;
  private final Map<String, Integer> counts =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > REMEMBERED;
        }
      };

  Events(KubernetesClient client) {
    this.client = client;
  }

  /** The Event's name: the object's name and a hash of what identifies the Event. */
  static String name(HasMetadata object, String type, String reason, String message) {
    String key = object.getMetadata().getUid() + "\n" + type + "\n" + reason + "\n" + message;
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      // The event's own name must fit 253 characters, as the object's name alone may.
      return BuildPodFactory.shortName(object.getMetadata().getName())
          + "."
          + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  void emit(HasMetadata object, String type, String reason, String message) {
    String namespace = object.getMetadata().getNamespace();
    String name = name(object, type, reason, message);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Integer known;
    synchronized (counts) {
      known = counts.get(name);
    }
    try {
      int count = known == null ? create(object, namespace, name, type, reason, message, now) : 0;
      if (count == 0) {
        count = raise(namespace, name, known, now);
      }
      if (count == 0) {
        // Expired (Events live an hour by default) since it was remembered: start it again.
        count = create(object, namespace, name, type, reason, message, now);
      }
      synchronized (counts) {
        counts.put(name, count);
      }
    } catch (KubernetesClientException e) {
      LOG.warn("could not record event {}: {}", reason, e.getMessage());
    }
  }

  /** Creates the Event with count 1; 0 when it exists already (recorded before a restart). */
  private int create(
      HasMetadata object,
      String namespace,
      String name,
      String type,
      String reason,
      String message,
      String now) {
    try {
      client
          .v1()
          .events()
          .inNamespace(namespace)
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(object.getApiVersion())
                          .withKind(object.getKind())
                          .withName(object.getMetadata().getName())
                          .withNamespace(namespace)
                          .withUid(object.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .build())
          .create();
      return 1;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return 0;
      }
      throw e;
    }
  }

  /**
   * Raises the count of an existing Event; {@code known} is its count if remembered. 0 when the
   * Event is gone.
   */
  private int raise(String namespace, String name, Integer known, String now) {
    int count;
    if (known != null) {
      count = known + 1;
    } else {
      Event existing = client.v1().events().inNamespace(namespace).withName(name).get();
      count = existing == null || existing.getCount() == null ? 1 : existing.getCount() + 1;
    }
    try {
      client
          .v1()
          .events()
          .inNamespace(namespace)
          .withName(name)
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"count\":" + count + ",\"lastTimestamp\":\"" + now + "\"}");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      return 0;
    }
    return count;
  }
}

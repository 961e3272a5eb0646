package dev.lamina.reconcile;

import dev.lamina.api.Architecture;
import dev.lamina.api.OSImage;
import dev.lamina.plan.BuildPlan;
import dev.lamina.plan.BuildPodFactory;
import dev.lamina.reconcile.BuildStateMachine.Step;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * An OSImage's build pods and the ConfigMap holding their plan: the one place that creates and
 * deletes them. Creates are idempotent by name, deletes of what is already gone succeed.
 */
final class BuildPods {
  private final KubernetesClient client;
  private final OperatorSettings settings;
  private final BiConsumer<OSImage, Pod> created;

  /**
   * @param created told of each pod created, so the informer's cache can hold it before its event
   */
  BuildPods(KubernetesClient client, OperatorSettings settings, BiConsumer<OSImage, Pod> created) {
    this.client = client;
    this.settings = settings;
    this.created = created;
  }

  /** The pods and ConfigMaps of one OSImage, as the informers hold them. */
  record Owned(List<Pod> pods, List<ConfigMap> configMaps) {
    /**
     * What of {@code pods} and {@code configMaps} {@code image} controls. The pod informer also
     * maps a finished pod to the images waiting for a build slot (to wake them), so an image's
     * secondary resources can include other images' pods, which it must neither count nor delete.
     */
    static Owned of(OSImage image, Collection<Pod> pods, Collection<ConfigMap> configMaps) {
      String uid = image.getMetadata().getUid();
      return new Owned(
          pods.stream().filter(p -> controlledBy(p, uid)).toList(),
          configMaps.stream().filter(c -> controlledBy(c, uid)).toList());
    }

    private static boolean controlledBy(HasMetadata o, String uid) {
      return o.getMetadata().getOwnerReferences().stream()
          .anyMatch(r -> Boolean.TRUE.equals(r.getController()) && Objects.equals(uid, r.getUid()));
    }

    boolean anyFor(String input) {
      return pods.stream().anyMatch(p -> ofInput(p, input));
    }

    Optional<Pod> pod(String name) {
      return name == null
          ? Optional.empty()
          : pods.stream().filter(p -> name.equals(p.getMetadata().getName())).findFirst();
    }
  }

  /**
   * Writes the plan ConfigMap of {@code plan}'s input. One that differs (policy changed since) is
   * replaced rather than patched, with the verbs the operator already has; a running pod keeps the
   * plan it mounted.
   */
  void writePlan(OSImage image, BuildPlan plan, Owned owned) {
    ConfigMap wanted = BuildPodFactory.configMap(image, plan);
    Optional<ConfigMap> existing =
        owned.configMaps().stream()
            .filter(c -> wanted.getMetadata().getName().equals(c.getMetadata().getName()))
            .findFirst();
    if (existing.isPresent() && wanted.getData().equals(existing.get().getData())) {
      return;
    }
    existing.ifPresent(this::delete);
    create(image, wanted);
  }

  /**
   * Does to an architecture's pod what its state machine decided.
   *
   * @param pod the pod the status named before the step, if the informer has it
   */
  void carryOut(OSImage image, BuildPlan plan, Architecture arch, Step step, Optional<Pod> pod) {
    int attempt = step.status().getAttempts();
    switch (step.action()) {
      case START -> {
        pod.ifPresent(this::delete);
        create(image, plan, arch, attempt);
      }
      case ENSURE -> create(image, plan, arch, attempt);
      case STOP -> pod.ifPresent(this::delete);
      case NONE -> {}
    }
  }

  /** Creates the pod of {@code attempt}; nothing happens when it exists already. */
  void create(OSImage image, BuildPlan plan, Architecture arch, int attempt) {
    create(
        image,
        BuildPodFactory.pod(
            image,
            plan,
            arch,
            attempt,
            settings.builderImage(),
            settings.insecureRegistries(),
            settings.registryTimeouts()));
  }

  /** Deletes what belongs to another input than {@code input}: it can build nothing wanted. */
  void deleteOtherInputs(Owned owned, String input) {
    deleteAll(owned, o -> !ofInput(o, input));
  }

  /** Deletes every pod and ConfigMap: the image is built, blocked, or reused from the cache. */
  void deleteAll(Owned owned) {
    deleteAll(owned, o -> true);
  }

  void delete(HasMetadata o) {
    if (o.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    try {
      client.resource(o).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  private void deleteAll(Owned owned, Predicate<HasMetadata> which) {
    owned.pods().stream().filter(which).forEach(this::delete);
    owned.configMaps().stream().filter(which).forEach(this::delete);
  }

  private void create(OSImage image, HasMetadata object) {
    try {
      HasMetadata made = client.resource(object).create();
      if (made instanceof Pod p) {
        created.accept(image, p);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  private static boolean ofInput(HasMetadata o, String input) {
    String label =
        o.getMetadata().getLabels() == null
            ? null
            : o.getMetadata().getLabels().get(BuildPodFactory.LABEL_INPUT);
    return Objects.equals(BuildPodFactory.inputLabel(input), label);
  }
}

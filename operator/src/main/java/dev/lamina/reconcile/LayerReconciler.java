package dev.lamina.reconcile;

import dev.lamina.api.Conditions;
import dev.lamina.api.ImagePolicy;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerSignature;
import dev.lamina.api.LayerStatus;
import dev.lamina.api.PlatformDigest;
import dev.lamina.api.PolicyAction;
import dev.lamina.api.PolicyStatus;
import dev.lamina.api.SignatureState;
import dev.lamina.api.UpdatePolicy;
import dev.lamina.metrics.LaminaMetrics;
import dev.lamina.oci.AuthException;
import dev.lamina.oci.Descriptor;
import dev.lamina.oci.NotFoundException;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import dev.lamina.oci.ResolvedImage;
import dev.lamina.policy.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves a Layer's image reference to a manifest per platform and evaluates policy on it. A tag
 * is resolved again every {@link OperatorSettings#tagResolveInterval()} (unless {@code
 * spec.updatePolicy} is Pin); a digest only once.
 */
@ControllerConfiguration(name = "layer")
@GradualRetry(
    maxAttempts = -1,
    initialInterval = 2000,
    intervalMultiplier = 2,
    maxInterval = 300_000)
public final class LayerReconciler implements Reconciler<Layer> {
  private static final Logger LOG = LoggerFactory.getLogger(LayerReconciler.class);

  /** Ready reason of a Layer that policy refused before it was resolved. */
  static final String REFUSED = "PolicyDenied";

  /** Ready reasons of a Layer whose digest lacks a signature that spec.trust requires. */
  static final String UNSIGNED = "Unsigned";

  static final String UNTRUSTED = "UntrustedSignature";

  private static final Set<String> REFERENCE_RULES = Set.of("LMN001", "LMN002");

  private final OperatorSettings settings;
  private final LayerTrust trust;
  private final Registries registries;
  private final PolicySet policies;
  private final KubernetesSerialization json;
  private final Clock clock;
  private PolicyWatch<Layer> policyWatch;

  LayerReconciler(
      OperatorSettings settings,
      Registries registries,
      PolicySet policies,
      KubernetesClient client,
      Clock clock) {
    this.settings = settings;
    this.registries = registries;
    this.policies = policies;
    this.json = client.getKubernetesSerialization();
    this.clock = clock;
    this.trust = new LayerTrust(client);
  }

  @Override
  public List<EventSource<?, Layer>> prepareEventSources(EventSourceContext<Layer> context) {
    policyWatch =
        new PolicyWatch<>(
            "layer",
            Layer.class,
            context,
            policies,
            l -> l.getStatus() == null ? null : l.getStatus().getPolicy());
    return List.of(policyWatch.policySource, policyWatch.namespaceSource);
  }

  @Override
  public UpdateControl<Layer> reconcile(Layer layer, Context<Layer> context) throws IOException {
    return StatusUpdates.logged(
        layer, () -> LaminaMetrics.of(context).layerReconciled(layer, doReconcile(layer)));
  }

  private UpdateControl<Layer> doReconcile(Layer layer) throws IOException {
    Long generation = layer.getMetadata().getGeneration();
    LayerStatus old = layer.getStatus();
    LayerStatus status = StatusUpdates.copy(json, old, LayerStatus::new);
    String image = layer.getSpec().getImage();
    // A digest never moves; a Pin policy keeps the first resolution until the spec changes, which
    // changes the generation and so makes the status no longer current.
    boolean pinned =
        OciReference.parse(image).digest() != null
            || layer.getSpec().getUpdatePolicy() == UpdatePolicy.Pin;
    Instant now = clock.instant();
    Instant resolvedAt =
        old == null || old.getResolvedAt() == null ? null : Instant.parse(old.getResolvedAt());
    boolean current =
        old != null
            && Objects.equals(generation, old.getObservedGeneration())
            && resolvedAt != null
            && Conditions.find(old.getConditions(), Conditions.READY)
                .map(c -> "True".equals(c.getStatus()) || "PlatformMissing".equals(c.getReason()))
                .orElse(false);
    boolean due =
        !current || (!pinned && !now.isBefore(resolvedAt.plus(settings.tagResolveInterval())));
    Optional<String> refusal = refusal(layer);
    if (refusal.isPresent()) {
      // The reference itself is denied (an unpinned tag or a registry not allowed): don't even
      // ask that registry, and drop what an earlier resolution found. The platforms asked for stay
      // listed, without digests, so rules counting a Layer's platforms still see them.
      status.setPlatforms(
          layer.getSpec().effectivePlatforms().stream()
              .map(p -> new PlatformDigest(p, null, null, null))
              .collect(Collectors.toCollection(ArrayList::new)));
      status.setIndexDigest(null);
      status.setDigest(null);
      status.setResolvedAt(null);
      status.setConditions(
          Conditions.set(
              status.getConditions(),
              Conditions.READY,
              false,
              REFUSED,
              "Not resolved: " + refusal.get(),
              generation));
      resolvedAt = null;
    } else if (due) {
      resolve(layer, status, now);
      resolvedAt = now;
    }
    status.setObservedGeneration(generation);
    boolean trustUnmet = checkSignatures(layer, status, refusal.isPresent());
    applyPolicy(layer, status);
    status.setConditions(progress(status).apply(status.getConditions(), generation));

    UpdateControl<Layer> control =
        StatusUpdates.changed(json, old, status)
            ? UpdateControl.patchStatus(StatusUpdates.fresh(layer, status, Layer::new))
            : UpdateControl.noUpdate();
    if (!pinned && resolvedAt != null) {
      Duration wait = Duration.between(now, resolvedAt.plus(settings.tagResolveInterval()));
      control.rescheduleAfter(wait.isNegative() ? Duration.ZERO : wait);
    } else if (trustUnmet) {
      // A signature can be added later without any change to the Layer: look again.
      control.rescheduleAfter(settings.tagResolveInterval());
    }
    return control;
  }

  /**
   * Records the cosign signatures of the resolved digest; when an ImagePolicy's spec.trust selects
   * the Layer and no key of it signed that digest, the Layer is not Ready (rule LMN014 then denies
   * it, which blocks its OSImages). Returns whether such a trust is unmet.
   */
  private boolean checkSignatures(Layer layer, LayerStatus status, boolean refused)
      throws IOException {
    if (refused || status.getDigest() == null) {
      status.setSignature(null);
      return false;
    }
    List<ImagePolicy> trusting =
        policyWatch.engine().trustPolicies(layer, policyWatch.namespaceLabels(layer));
    OciRepository repo =
        registries
            .client(layer.getMetadata().getNamespace(), layer.getSpec().getPullSecret())
            .repository(OciReference.parse(layer.getSpec().getImage()).repository());
    LayerSignature sig = trust.check(repo, status.getDigest(), trusting);
    status.setSignature(sig);
    if (trusting.isEmpty() || sig.getState() == SignatureState.Verified) {
      return false;
    }
    boolean unsigned = sig.getState() == SignatureState.Unsigned;
    status.setConditions(
        Conditions.set(
            status.getConditions(),
            Conditions.READY,
            false,
            unsigned ? UNSIGNED : UNTRUSTED,
            "Digest "
                + status.getDigest()
                + (unsigned
                    ? " has no cosign signature"
                    : " has no cosign signature by a trusted key")
                + "; ImagePolicy "
                + String.join(", ", sig.getUntrustedBy())
                + " requires one by a key of its spec.trust.",
            layer.getMetadata().getGeneration()));
    return true;
  }

  private void resolve(Layer layer, LayerStatus status, Instant now) throws IOException {
    List<Platform> wanted =
        layer.getSpec().effectivePlatforms().stream().map(Platform::parse).toList();
    String image = layer.getSpec().getImage();
    ResolvedImage resolved =
        registries
            .client(layer.getMetadata().getNamespace(), layer.getSpec().getPullSecret())
            .resolve(image, wanted);
    List<PlatformDigest> platforms = new ArrayList<>();
    for (Platform p : wanted) {
      Descriptor d = resolved.manifests().get(p);
      if (d != null) {
        platforms.add(
            new PlatformDigest(p.toString(), d.digest(), d.size(), resolved.layersSize().get(p)));
      }
    }
    status.setPlatforms(platforms);
    status.setIndexDigest(resolved.indexDigest());
    status.setDigest(
        resolved.indexDigest() != null
            ? resolved.indexDigest()
            : platforms.isEmpty() ? null : platforms.get(0).getDigest());
    status.setResolvedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
    Long generation = layer.getMetadata().getGeneration();
    if (!resolved.missing().isEmpty()) {
      String missing =
          resolved.missing().stream().map(Platform::toString).collect(Collectors.joining(", "));
      status.setConditions(
          Conditions.set(
              status.getConditions(),
              Conditions.READY,
              false,
              "PlatformMissing",
              "Image " + image + " has no manifest for " + missing + ".",
              generation));
    } else {
      String previous = layer.getStatus() == null ? null : layer.getStatus().getDigest();
      if (previous != null && !previous.equals(status.getDigest())) {
        LOG.info("{} moved from {} to {}", image, previous, status.getDigest());
      }
      status.setConditions(
          Conditions.set(
              status.getConditions(),
              Conditions.READY,
              true,
              "Resolved",
              "Resolved " + image + " for " + platforms.size() + " platform(s).",
              generation));
    }
  }

  @Override
  public ErrorStatusUpdateControl<Layer> updateErrorStatus(
      Layer layer, Context<Layer> context, Exception thrown) {
    Exception e = StatusUpdates.cause(thrown);
    LayerStatus status = StatusUpdates.copy(json, layer.getStatus(), LayerStatus::new);
    String reason =
        e instanceof AuthException
            ? "RegistryAuth"
            : e instanceof NotFoundException ? "ImageNotFound" : "RegistryError";
    LOG.warn("resolving {} failed: {}", layer.getSpec().getImage(), e.getMessage());
    status.setObservedGeneration(layer.getMetadata().getGeneration());
    status.setConditions(
        Conditions.set(
            status.getConditions(),
            Conditions.READY,
            false,
            reason,
            String.valueOf(e.getMessage()),
            layer.getMetadata().getGeneration()));
    // Rules about the reference itself (pinning, allowed registries) don't need the registry.
    applyPolicy(layer, status);
    status.setConditions(
        progress(status).apply(status.getConditions(), layer.getMetadata().getGeneration()));
    return ErrorStatusUpdateControl.patchStatus(StatusUpdates.fresh(layer, status, Layer::new));
  }

  /**
   * The first Deny that policy gives the Layer's reference alone (LMN001 pinning, LMN002
   * registries), before anything is resolved. Custom rules are left out: they may read status,
   * which is empty here, and would keep a Layer from ever resolving.
   */
  private Optional<String> refusal(Layer layer) {
    Layer unresolved = new Layer();
    unresolved.setMetadata(layer.getMetadata());
    unresolved.setSpec(layer.getSpec());
    unresolved.setStatus(new LayerStatus());
    PolicyStatus policy =
        policyWatch
            .engine()
            .assess(Subject.layer(unresolved), policyWatch.namespaceLabels(layer))
            .status();
    return policy.getResults() == null
        ? Optional.empty()
        : policy.getResults().stream()
            .filter(r -> r.getAction() == PolicyAction.Deny)
            .filter(r -> REFERENCE_RULES.contains(r.getRule()))
            .map(r -> r.getRule() + " " + r.getMessage())
            .findFirst();
  }

  /** Evaluates policy on {@code layer} with {@code status} and records the verdict in it. */
  private void applyPolicy(Layer layer, LayerStatus status) {
    Layer evaluated = new Layer();
    evaluated.setMetadata(layer.getMetadata());
    evaluated.setSpec(layer.getSpec());
    evaluated.setStatus(status);
    PolicyStatus policy =
        policyWatch
            .engine()
            .assess(Subject.layer(evaluated), policyWatch.namespaceLabels(layer))
            .status();
    status.setPolicy(policy);
    status.setConditions(
        Conditions.policy(status.getConditions(), policy, layer.getMetadata().getGeneration()));
  }

  private static Progress progress(LayerStatus status) {
    return Progress.ofLayer(
        Conditions.find(status.getConditions(), Conditions.READY)
            .map(c -> c.getReason())
            .orElse(null),
        Conditions.isTrue(status.getConditions(), Conditions.READY));
  }
}

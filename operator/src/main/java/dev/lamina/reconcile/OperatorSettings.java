package dev.lamina.reconcile;

import dev.lamina.assemble.UnionLimits;
import dev.lamina.oci.RegistryTimeouts;
import java.time.Duration;
import java.util.Set;

/**
 * Operator-wide settings, from the options of {@code lamina operator}.
 *
 * @param tagResolveInterval how often a Layer whose image is a tag is resolved again
 * @param noNodeGrace how long a build pod may stay unscheduled before the OSImage reports that no
 *     node of its architecture exists
 * @param builderImage the image of the build pods: the operator's own image
 * @param insecureRegistries registries (host[:port]) spoken to over plain HTTP; loopback always is
 * @param retryBackoff delay before the second attempt of a failed build; doubles per attempt
 * @param registryTimeouts limits of each registry request, the operator's and its build pods'
 * @param maxLimits the most any OSImage's build may unpack; its spec.build.limits are lowered to
 *     these
 * @param maxBuildPods build pods at once in the whole cluster; 0 for no limit
 */
public record OperatorSettings(
    Duration tagResolveInterval,
    Duration noNodeGrace,
    String builderImage,
    Set<String> insecureRegistries,
    Duration retryBackoff,
    RegistryTimeouts registryTimeouts,
    UnionLimits maxLimits,
    int maxBuildPods) {

  public static final Duration DEFAULT_TAG_RESOLVE_INTERVAL = Duration.ofMinutes(10);
  public static final Duration DEFAULT_NO_NODE_GRACE = Duration.ofMinutes(2);
  public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_BUILD_PODS = 4;

  /** The operator's default maximums: 32 GiB and 2,000,000 entries per build. */
  public static final UnionLimits DEFAULT_MAX_LIMITS = new UnionLimits(32L << 30, 2_000_000);

  public OperatorSettings {
    insecureRegistries = Set.copyOf(insecureRegistries);
    registryTimeouts = registryTimeouts == null ? RegistryTimeouts.DEFAULTS : registryTimeouts;
    maxLimits = maxLimits == null ? DEFAULT_MAX_LIMITS : maxLimits;
  }

  /** Settings with the default registry timeouts and maximum limits. */
  public OperatorSettings(
      Duration tagResolveInterval,
      Duration noNodeGrace,
      String builderImage,
      Set<String> insecureRegistries,
      Duration retryBackoff) {
    this(
        tagResolveInterval,
        noNodeGrace,
        builderImage,
        insecureRegistries,
        retryBackoff,
        RegistryTimeouts.DEFAULTS,
        DEFAULT_MAX_LIMITS,
        DEFAULT_MAX_BUILD_PODS);
  }

  /** Settings with the default limit on build pods at once. */
  public OperatorSettings(
      Duration tagResolveInterval,
      Duration noNodeGrace,
      String builderImage,
      Set<String> insecureRegistries,
      Duration retryBackoff,
      RegistryTimeouts registryTimeouts,
      UnionLimits maxLimits) {
    this(
        tagResolveInterval,
        noNodeGrace,
        builderImage,
        insecureRegistries,
        retryBackoff,
        registryTimeouts,
        maxLimits,
        DEFAULT_MAX_BUILD_PODS);
  }

  /** Defaults for everything but the builder image. */
  public static OperatorSettings defaults(String builderImage) {
    return new OperatorSettings(
        DEFAULT_TAG_RESOLVE_INTERVAL,
        DEFAULT_NO_NODE_GRACE,
        builderImage,
        Set.of(),
        DEFAULT_RETRY_BACKOFF);
  }

  /**
   * The delay before attempt {@code attempt + 1}, after {@code attempt} failed attempts (1-based).
   */
  public Duration backoffAfter(int attempt) {
    long factor = 1L << Math.min(Math.max(attempt - 1, 0), 10);
    Duration d = retryBackoff.multipliedBy(factor);
    Duration cap = Duration.ofMinutes(10);
    return d.compareTo(cap) > 0 ? cap : d;
  }
}

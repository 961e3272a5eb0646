package dev.lamina.policy;

import dev.lamina.api.PolicyParameters;
import dev.lamina.oci.OciReference;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameters of the built-in rules with their defaults filled in.
 *
 * @param allowedRegistries normalized host[:port]; empty allows any
 * @param allowedOutputRepositories repository prefixes; empty allows any
 * @param forbiddenCmdline kernel parameters that must not appear
 * @param maxLayerBytes limit on the compressed layers of one architecture
 */
record Parameters(
    Set<String> allowedRegistries,
    List<String> allowedOutputRepositories,
    List<String> forbiddenCmdline,
    long maxLayerBytes) {

  static final List<String> DEFAULT_FORBIDDEN_CMDLINE =
      List.of("init=/bin/sh", "rd.break", "single", "systemd.debug-shell");

  /** 4 GiB: far above any real initrd, so the default only catches mistakes. */
  static final long DEFAULT_MAX_LAYER_BYTES = 4L << 30;

  static final Parameters DEFAULTS =
      new Parameters(Set.of(), List.of(), DEFAULT_FORBIDDEN_CMDLINE, DEFAULT_MAX_LAYER_BYTES);

  static Parameters of(PolicyParameters p) {
    if (p == null) {
      return DEFAULTS;
    }
    Set<String> registries = new TreeSet<>();
    if (p.getAllowedRegistries() != null) {
      p.getAllowedRegistries().forEach(r -> registries.add(OciReference.normalizeRegistry(r)));
    }
    return new Parameters(
        registries,
        p.getAllowedOutputRepositories() == null ? List.of() : p.getAllowedOutputRepositories(),
        // An explicit empty list forbids nothing; only an absent one takes the defaults.
        p.getForbiddenCmdline() == null ? DEFAULT_FORBIDDEN_CMDLINE : p.getForbiddenCmdline(),
        p.getMaxLayerBytes() == null ? DEFAULT_MAX_LAYER_BYTES : p.getMaxLayerBytes());
  }
}

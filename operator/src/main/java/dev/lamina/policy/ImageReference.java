package dev.lamina.policy;

import java.util.Locale;

/** The parts of an OCI image reference that the built-in rules look at. */
record ImageReference(String registry, boolean pinned, boolean layout) {
  static final String DOCKER_HUB = "docker.io";

  /** Parses registry/name[:tag][@sha256:…] or oci:DIR(:TAG|@sha256:…). */
  static ImageReference parse(String image) {
    boolean pinned = image.contains("@sha256:");
    if (image.startsWith("oci:")) {
      return new ImageReference(null, pinned, true);
    }
    String name = image;
    int at = name.indexOf('@');
    if (at >= 0) {
      name = name.substring(0, at);
    }
    int slash = name.indexOf('/');
    String registry = DOCKER_HUB;
    if (slash > 0) {
      String first = name.substring(0, slash);
      // The Docker convention: a first component is a registry only if it looks like a host.
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
      }
    }
    return new ImageReference(normalizeRegistry(registry), pinned, false);
  }

  static String normalizeRegistry(String registry) {
    String r = registry.trim().toLowerCase(Locale.ROOT);
    if (r.endsWith("/")) {
      r = r.substring(0, r.length() - 1);
    }
    if (r.equals("index.docker.io") || r.equals("registry-1.docker.io")) {
      return DOCKER_HUB;
    }
    return r;
  }
}

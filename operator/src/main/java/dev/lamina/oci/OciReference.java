package dev.lamina.oci;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A parsed image reference: either a registry reference {@code host[:port]/path[:tag][@digest]}
 * (Docker Hub when the first component is not a host) or an OCI image layout reference {@code
 * oci:DIR[:TAG]} / {@code oci:DIR@sha256:...}.
 */
public final class OciReference {
  static final String DOCKER_HUB = "docker.io";
  private static final String LAYOUT_PREFIX = "oci:";
  private static final Pattern PATH =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private final String registry;
  private final String path;
  private final String layoutDir;
  private final String tag;
  private final String digest;

  private OciReference(String registry, String path, String layoutDir, String tag, String digest) {
    this.registry = registry;
    this.path = path;
    this.layoutDir = layoutDir;
    this.tag = tag;
    this.digest = digest;
  }

  /** Parses a reference; throws IllegalArgumentException with a one-line reason if malformed. */
  public static OciReference parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("image reference is empty");
    }
    String rest = text.strip();
    String digest = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      if (!Digests.isValid(digest)) {
        throw invalid(text, "the digest must be sha256:<64 lowercase hex>");
      }
      rest = rest.substring(0, at);
    }
    if (rest.startsWith(LAYOUT_PREFIX)) {
      return parseLayout(text, rest.substring(LAYOUT_PREFIX.length()), digest);
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first.equals("index.docker.io") ? DOCKER_HUB : first;
        rest = rest.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(text, "the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
      }
    }
    if (!PATH.matcher(rest).matches()) {
      throw invalid(text, "the repository must be lowercase path components");
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    return new OciReference(registry, rest, null, tag, digest);
  }

  private static OciReference parseLayout(String text, String rest, String digest) {
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (digest == null && colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(text, "the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
      }
    }
    if (rest.isEmpty()) {
      throw invalid(text, "an OCI layout reference is oci:DIR:TAG or oci:DIR@sha256:...");
    }
    try {
      Path.of(rest);
    } catch (InvalidPathException e) {
      throw invalid(text, "the layout directory is not a valid path (" + e.getReason() + ")");
    }
    return new OciReference(null, null, rest, tag, digest);
  }

  /** Returns {@code tag} if it is a valid tag; throws IllegalArgumentException otherwise. */
  public static String requireTag(String tag) {
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "invalid tag \"" + tag + "\": it must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    }
    return tag;
  }

  /**
   * A registry host as policy compares it: host names are case-insensitive, and Docker Hub has
   * several names.
   */
  public static String normalizeRegistry(String registry) {
    String r = registry.trim().toLowerCase(Locale.ROOT);
    if (r.endsWith("/")) {
      r = r.substring(0, r.length() - 1);
    }
    if (r.equals("index.docker.io") || r.equals("registry-1.docker.io")) {
      return DOCKER_HUB;
    }
    return r;
  }

  private static IllegalArgumentException invalid(String text, String reason) {
    return new IllegalArgumentException("invalid image reference \"" + text + "\": " + reason);
  }

  public boolean isLayout() {
    return layoutDir != null;
  }

  /** The registry host[:port], or null for a layout. */
  public String registry() {
    return registry;
  }

  /**
   * The repository path inside the registry (e.g. {@code library/busybox}), or null for a layout.
   */
  public String path() {
    return path;
  }

  /** The layout directory, or null for a registry reference. */
  public Path layoutDir() {
    return layoutDir == null ? null : Path.of(layoutDir);
  }

  /** The reference without tag or digest: {@code host/path} or {@code oci:DIR}. */
  public String repository() {
    return isLayout() ? LAYOUT_PREFIX + layoutDir : registry + "/" + path;
  }

  /** The tag, or null when none was given. */
  public String tag() {
    return tag;
  }

  /** The digest, or null when none was given. */
  public String digest() {
    return digest;
  }

  /** The same repository and tag pinned to {@code digest}. */
  public OciReference withDigest(String digest) {
    return new OciReference(registry, path, layoutDir, tag, Digests.require(digest));
  }

  @Override
  public String toString() {
    return repository() + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OciReference r && toString().equals(r.toString());
  }

  @Override
  public int hashCode() {
    return Objects.hash(toString());
  }
}

package dev.lamina.linuxkit;

import dev.lamina.oci.OciReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Rewrites where images are pulled from: {@code FROM=TO} replaces the repository prefix FROM
 * ({@code docker.io/linuxkit}) with TO ({@code 127.0.0.1:5000/mirror/linuxkit}, or an OCI layout
 * directory {@code oci:/srv/layouts}), at a path-component boundary; the longest FROM that matches
 * wins. References are compared as LinuxKit expands them: {@code linuxkit/init:v1} is {@code
 * docker.io/linuxkit/init:v1}, {@code redis} is {@code docker.io/library/redis:latest}.
 */
public final class RegistryMap {
  /** One rule. */
  public record Rule(String from, String to) {}

  private final List<Rule> rules;

  private RegistryMap(List<Rule> rules) {
    this.rules = rules;
  }

  public static RegistryMap none() {
    return new RegistryMap(List.of());
  }

  /**
   * Parses {@code FROM=TO} rules.
   *
   * @throws IllegalArgumentException naming the rule that is malformed
   */
  public static RegistryMap parse(List<String> specs) {
    List<Rule> rules = new ArrayList<>();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new IllegalArgumentException(
            "--registry-map "
                + spec
                + ": expected FROM=TO, e.g. docker.io/linuxkit=127.0.0.1:5000/linuxkit");
      }
      String from = trimSlash(spec.substring(0, eq).strip());
      String to = trimSlash(spec.substring(eq + 1).strip());
      int slash = from.indexOf('/');
      String host = slash < 0 ? from : from.substring(0, slash);
      if (!host.contains(".") && !host.contains(":") && !host.equals("localhost")) {
        // linuxkit=… means Docker Hub's linuxkit, as a reference linuxkit/init would.
        from = "docker.io/" + from;
        slash = from.indexOf('/');
        host = "docker.io";
      }
      String normalizedHost = OciReference.normalizeRegistry(host);
      from = normalizedHost + (slash < 0 ? "" : from.substring(slash));
      String fromPath = slash < 0 ? "" : from.substring(slash);
      if (host.isEmpty()
          || fromPath.contains(":")
          || from.contains("@")
          || !fromPath.toLowerCase(Locale.ROOT).equals(fromPath)) {
        throw new IllegalArgumentException(
            "--registry-map " + spec + ": FROM must be a registry host and path, without tag");
      }
      if (!to.startsWith("oci:")) {
        try {
          OciReference r = OciReference.parse(to + "/x");
          if (r.tag() != null || r.digest() != null) {
            throw new IllegalArgumentException("has a tag");
          }
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "--registry-map " + spec + ": TO must be REGISTRY[/PATH] or oci:DIR, without tag");
        }
      } else if (to.length() == "oci:".length()) {
        throw new IllegalArgumentException("--registry-map " + spec + ": oci: needs a directory");
      }
      rules.add(new Rule(from, to));
    }
    rules.sort(Comparator.comparingInt((Rule r) -> -r.from().length()));
    return new RegistryMap(List.copyOf(rules));
  }

  /**
   * Where Lamina pulls the image LinuxKit names {@code reference}: fully expanded, tagged {@code
   * latest} when it has neither tag nor digest, and rewritten by the first rule that matches.
   *
   * @throws IllegalArgumentException if the reference or its rewrite is not a valid reference
   */
  public String apply(String reference) {
    OciReference ref = OciReference.parse(reference);
    if (ref.isLayout()) {
      throw new IllegalArgumentException(
          "\"" + reference + "\" is not a registry reference, as LinuxKit needs");
    }
    String tag = ref.tag() == null && ref.digest() == null ? "latest" : ref.tag();
    String repository = ref.repository();
    for (Rule rule : rules) {
      if (repository.equals(rule.from()) || repository.startsWith(rule.from() + "/")) {
        repository = rule.to() + repository.substring(rule.from().length());
        break;
      }
    }
    String mapped;
    if (repository.startsWith("oci:")) {
      // A layout holds one image per reference: a digest when there is one, else the tag.
      mapped = repository + (ref.digest() != null ? "@" + ref.digest() : ":" + tag);
    } else {
      mapped =
          repository
              + (tag == null ? "" : ":" + tag)
              + (ref.digest() == null ? "" : "@" + ref.digest());
    }
    OciReference.parse(mapped);
    return mapped;
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}

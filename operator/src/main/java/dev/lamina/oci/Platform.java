package dev.lamina.oci;

import java.util.Locale;
import java.util.Objects;

/** An OCI platform: os, architecture and optional variant, written os/arch[/variant]. */
public record Platform(String os, String architecture, String variant) {
  public Platform {
    Objects.requireNonNull(os, "os");
    Objects.requireNonNull(architecture, "architecture");
    variant = variant == null || variant.isEmpty() ? null : variant;
  }

  public static Platform parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new IllegalArgumentException("platform must be os/arch[/variant]: " + text);
    }
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
  }

  public static Platform linux(String architecture) {
    return new Platform("linux", architecture, null);
  }

  /**
   * This platform in the normal form containerd uses to compare platforms: architecture aliases
   * resolved ({@code x86_64} is amd64, {@code aarch64} is arm64), and each architecture's default
   * variant made implicit, so arm64 and arm64/v8 are the same platform, as are arm and arm/v7.
   */
  public Platform normalize() {
    String o = os.toLowerCase(Locale.ROOT);
    String a = architecture.toLowerCase(Locale.ROOT);
    String v = variant == null ? null : variant.toLowerCase(Locale.ROOT);
    switch (a) {
      case "i386":
        a = "386";
        v = null;
        break;
      case "x86_64":
      case "x86-64":
      case "amd64":
        a = "amd64";
        if ("v1".equals(v)) {
          v = null;
        }
        break;
      case "aarch64":
      case "arm64":
        a = "arm64";
        if ("8".equals(v) || "v8".equals(v) || "v8.0".equals(v)) {
          v = null;
        }
        break;
      case "armhf":
        a = "arm";
        v = "v7";
        break;
      case "armel":
        a = "arm";
        v = "v6";
        break;
      case "arm":
        if (v == null || v.equals("7")) {
          v = "v7";
        } else if (v.matches("[5-8]")) {
          v = "v" + v;
        }
        break;
      default:
        break;
    }
    return new Platform(o, a, v);
  }

  /** Whether this platform and {@code other} are the same after {@link #normalize()}. */
  public boolean matches(Platform other) {
    return normalize().equals(other.normalize());
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}

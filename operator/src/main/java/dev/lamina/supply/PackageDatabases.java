package dev.lamina.supply;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Readers of the package databases an SBOM lists: Debian's dpkg status and Alpine's apk db. */
public final class PackageDatabases {
  public static final String DPKG_STATUS = "var/lib/dpkg/status";
  public static final String APK_INSTALLED = "lib/apk/db/installed";

  /** Longest database read; a bigger one is not a distribution's. */
  static final long MAX_BYTES = 64L * 1024 * 1024;

  private PackageDatabases() {}

  /**
   * One installed package.
   *
   * @param type the purl type: {@code deb} or {@code apk}
   * @param namespace the purl namespace: {@code debian} or {@code alpine}
   * @param supplier the maintainer as the database names it, or null
   * @param license as the database gives it (apk only), or null
   */
  public record Package(
      String type,
      String namespace,
      String name,
      String version,
      String architecture,
      String supplier,
      String license,
      String source) {}

  /** The packages dpkg records as installed ({@code Status: install ok installed}). */
  public static List<Package> dpkg(InputStream in) throws IOException {
    List<Package> packages = new ArrayList<>();
    for (Map<String, String> p : stanzas(in, ':', true)) {
      String status = p.getOrDefault("Status", "");
      if (!status.endsWith(" installed") || p.get("Package") == null || p.get("Version") == null) {
        continue;
      }
      String source = p.get("Source");
      packages.add(
          new Package(
              "deb",
              "debian",
              p.get("Package"),
              p.get("Version"),
              p.get("Architecture"),
              p.get("Maintainer"),
              null,
              source == null ? null : source.split(" ")[0]));
    }
    return packages;
  }

  /** The packages of apk's installed database (one-letter keys: P name, V version, ...). */
  public static List<Package> apk(InputStream in) throws IOException {
    List<Package> packages = new ArrayList<>();
    for (Map<String, String> p : stanzas(in, ':', false)) {
      if (p.get("P") == null || p.get("V") == null) {
        continue;
      }
      packages.add(
          new Package(
              "apk",
              "alpine",
              p.get("P"),
              p.get("V"),
              p.get("A"),
              p.get("m"),
              p.get("L"),
              p.get("o")));
    }
    return packages;
  }

  /**
   * Paragraphs of {@code key<sep>value} lines separated by blank lines. With {@code continuations},
   * a line starting with a space continues the previous field (RFC 822 style, as dpkg writes); the
   * first line of a field is all these databases need.
   */
  private static List<Map<String, String>> stanzas(InputStream in, char sep, boolean continuations)
      throws IOException {
    List<Map<String, String>> out = new ArrayList<>();
    Map<String, String> cur = new LinkedHashMap<>();
    long read = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        read += line.length() + 1;
        if (read > MAX_BYTES) {
          throw new IOException("package database larger than " + MAX_BYTES + " bytes");
        }
        if (line.isBlank()) {
          if (!cur.isEmpty()) {
            out.add(cur);
            cur = new LinkedHashMap<>();
          }
          continue;
        }
        if (continuations && (line.startsWith(" ") || line.startsWith("\t"))) {
          continue;
        }
        int i = line.indexOf(sep);
        if (i > 0) {
          cur.putIfAbsent(line.substring(0, i), line.substring(i + 1).trim());
        }
      }
    }
    if (!cur.isEmpty()) {
      out.add(cur);
    }
    return out;
  }
}

package dev.lamina.supply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.oci.Digests;
import dev.lamina.plan.BuildPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The SPDX 2.3 SBOM of one architecture's root filesystem: the source layers by digest, the
 * packages of the dpkg and apk databases in the union, the packages of SBOMs shipped in the tree
 * ({@code usr/share/sbom/*.spdx.json}, merged), and the files of the kernel layer with the kernel
 * version. Byte-reproducible: the only time is {@code sourceDateEpoch}, elements are sorted, and
 * every SPDX ID and the document namespace derive from content.
 */
public final class Sbom {
  public static final String MEDIA_TYPE = "application/spdx+json";
  public static final String FILE = "sbom.spdx.json";
  static final List<String> IN_TREE_DIRS = List.of("usr/share/sbom");
  static final long MAX_IN_TREE_BYTES = 16L * 1024 * 1024;
  private static final String ROOT_ID = "SPDXRef-RootFilesystem";
  private static final String KERNEL_ID = "SPDXRef-Kernel";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String osImage;
  private final String arch;
  private final long sourceDateEpoch;

  /** SPDX ID -> package element; the map keeps them sorted. */
  private final Map<String, ObjectNode> packages = new TreeMap<>();

  private final Map<String, ObjectNode> files = new TreeMap<>();
  private final TreeSet<String> relationships = new TreeSet<>();
  private String kernelVersion;

  public Sbom(String osImage, String arch, long sourceDateEpoch) {
    this.osImage = osImage == null || osImage.isEmpty() ? "image" : osImage;
    this.arch = arch;
    this.sourceDateEpoch = sourceDateEpoch;
  }

  /** A source layer, by the manifest digest the build pulled. */
  public void layer(String role, BuildPlan.LayerRef ref) {
    String id = id("Layer", ref.name(), ref.digest());
    ObjectNode p = element(id, ref.name());
    p.put("versionInfo", ref.digest());
    p.put("downloadLocation", "NOASSERTION");
    p.put("filesAnalyzed", false);
    p.putArray("checksums")
        .addObject()
        .put("algorithm", "SHA256")
        .put("checksumValue", Digests.hex(ref.digest()));
    purl(p, purl(ref.image(), ref.digest(), arch));
    p.put("primaryPackagePurpose", "CONTAINER");
    p.put("comment", role + " layer " + ref.image() + "@" + ref.digest());
    packages.put(id, p);
    relationships.add(ROOT_ID + " GENERATED_FROM " + id);
  }

  /** Every regular file of the kernel layer, with SHA-1 (SPDX requires it) and SHA-256. */
  public void kernelFiles(LayerUnion kernelLayer) throws IOException {
    for (String path : kernelLayer.regularFiles(List.of(""))) {
      MessageDigest sha1 = digest("SHA-1");
      MessageDigest sha256 = digest("SHA-256");
      try (InputStream in = kernelLayer.openFile("kernel layer file", path)) {
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha1.update(buf, 0, n);
          sha256.update(buf, 0, n);
        }
      }
      HexFormat hex = HexFormat.of();
      String sha1Hex = hex.formatHex(sha1.digest());
      String id = id("File", path, sha1Hex);
      ObjectNode f = JSON.createObjectNode();
      f.put("SPDXID", id);
      f.put("fileName", "./" + path);
      ArrayNode sums = f.putArray("checksums");
      sums.addObject().put("algorithm", "SHA1").put("checksumValue", sha1Hex);
      sums.addObject()
          .put("algorithm", "SHA256")
          .put("checksumValue", hex.formatHex(sha256.digest()));
      files.put(id, f);
      relationships.add(KERNEL_ID + " CONTAINS " + id);
    }
  }

  /** Reads the union's package databases, in-tree SBOMs and kernel version. */
  public void scan(LayerUnion union) throws IOException {
    if (union.isRegularFile(PackageDatabases.DPKG_STATUS)) {
      try (InputStream in = union.openFile("dpkg status", PackageDatabases.DPKG_STATUS)) {
        PackageDatabases.dpkg(in).forEach(this::addPackage);
      }
    }
    if (union.isRegularFile(PackageDatabases.APK_INSTALLED)) {
      try (InputStream in = union.openFile("apk database", PackageDatabases.APK_INSTALLED)) {
        PackageDatabases.apk(in).forEach(this::addPackage);
      }
    }
    List<String> found =
        union.regularFiles(List.of("usr/share/sbom", "lib/modules", "usr/lib/modules"));
    for (String path : found) {
      if (path.startsWith("usr/share/sbom/") && path.endsWith(".spdx.json")) {
        try (InputStream in = union.openFile("in-tree SBOM", path)) {
          mergeInTree(path, in.readNBytes((int) MAX_IN_TREE_BYTES));
        }
      } else if (kernelVersion == null && path.contains("modules/")) {
        String rest = path.substring(path.indexOf("modules/") + "modules/".length());
        if (rest.contains("/")) {
          kernelVersion = rest.substring(0, rest.indexOf('/'));
        }
      }
    }
  }

  private void addPackage(PackageDatabases.Package pkg) {
    String id = id("Package-" + pkg.type(), pkg.name(), pkg.version() + "/" + pkg.architecture());
    ObjectNode p = element(id, pkg.name());
    p.put("versionInfo", pkg.version());
    if (pkg.supplier() != null && !pkg.supplier().isEmpty()) {
      p.put("supplier", "Person: " + pkg.supplier().replace('\n', ' '));
    }
    p.put("downloadLocation", "NOASSERTION");
    p.put("filesAnalyzed", false);
    if (pkg.license() != null) {
      // apk's license field is not always a valid SPDX expression: keep it as text.
      p.put("licenseComments", pkg.license());
    }
    if (pkg.source() != null) {
      p.put("sourceInfo", "built from source package " + pkg.source());
    }
    String purl =
        "pkg:"
            + pkg.type()
            + "/"
            + pkg.namespace()
            + "/"
            + encode(pkg.name())
            + "@"
            + encode(pkg.version())
            + (pkg.architecture() == null ? "" : "?arch=" + encode(pkg.architecture()));
    purl(p, purl);
    p.put("primaryPackagePurpose", "LIBRARY");
    packages.put(id, p);
    relationships.add(ROOT_ID + " CONTAINS " + id);
  }

  /**
   * Merges the SPDX SBOMs that the layer image carries as OCI referrers of the manifest the build
   * pulls (via the referrers tag schema), as LinuxKit merges its images' SBOMs.
   */
  public void layerReferrers(dev.lamina.oci.OciRepository repo, BuildPlan.LayerRef ref)
      throws IOException {
    for (dev.lamina.oci.Descriptor d : Referrers.list(repo, ref.digest(), MEDIA_TYPE)) {
      mergeInTree(
          "referrer " + d.digest() + " of layer " + ref.name(),
          Referrers.content(repo, d, MAX_IN_TREE_BYTES));
    }
  }

  private void mergeInTree(String path, byte[] json) throws IOException {
    JsonNode doc;
    try {
      doc = JSON.readTree(json);
    } catch (IOException e) {
      throw new IOException("in-tree SBOM " + path + " is not JSON: " + e.getMessage(), e);
    }
    for (JsonNode src : doc.path("packages")) {
      String name = src.path("name").asText("");
      String version = src.path("versionInfo").asText("");
      if (name.isEmpty()) {
        continue;
      }
      String id = id("InTree", name, path + "/" + version + "/" + src.path("SPDXID").asText());
      ObjectNode p = element(id, name);
      for (String field :
          List.of(
              "versionInfo",
              "supplier",
              "downloadLocation",
              "licenseConcluded",
              "licenseDeclared",
              "copyrightText",
              "checksums",
              "externalRefs",
              "primaryPackagePurpose")) {
        if (src.has(field)) {
          p.set(field, src.get(field));
        }
      }
      if (!p.has("downloadLocation")) {
        p.put("downloadLocation", "NOASSERTION");
      }
      p.put("filesAnalyzed", false);
      p.put("comment", "merged from " + (path.startsWith("referrer ") ? path : "/" + path));
      packages.put(id, p);
      relationships.add(ROOT_ID + " CONTAINS " + id);
    }
  }

  /** The digest of the SBOM document pushed as a referrer of {@code manifest}, if any. */
  public static java.util.Optional<String> pushedDigest(
      dev.lamina.oci.OciRepository repo, String manifest) throws IOException {
    for (dev.lamina.oci.Descriptor d : Referrers.list(repo, manifest, MEDIA_TYPE)) {
      JsonNode m = JSON.readTree(repo.manifestBytes(d.digest()));
      return java.util.Optional.of(m.path("layers").path(0).path("digest").asText());
    }
    return java.util.Optional.empty();
  }

  public byte[] toJson() {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("spdxVersion", "SPDX-2.3");
    doc.put("dataLicense", "CC0-1.0");
    doc.put("SPDXID", "SPDXRef-DOCUMENT");
    doc.put("name", osImage + "-" + arch);
    doc.put("documentNamespace", "");
    ObjectNode info = doc.putObject("creationInfo");
    info.put(
        "created",
        DateTimeFormatter.ISO_INSTANT.format(
            Instant.ofEpochSecond(sourceDateEpoch).truncatedTo(ChronoUnit.SECONDS)));
    info.putArray("creators").add("Tool: lamina");
    doc.putArray("documentDescribes").add(ROOT_ID);
    ArrayNode pkgs = doc.putArray("packages");
    ObjectNode root = element(ROOT_ID, osImage + "-" + arch + "-rootfs");
    root.put("downloadLocation", "NOASSERTION");
    root.put("filesAnalyzed", false);
    root.put("primaryPackagePurpose", "OPERATING-SYSTEM");
    pkgs.add(root);
    if (!files.isEmpty()) {
      ObjectNode kernel = element(KERNEL_ID, "kernel");
      if (kernelVersion != null) {
        kernel.put("versionInfo", kernelVersion);
      }
      kernel.put("downloadLocation", "NOASSERTION");
      kernel.put("filesAnalyzed", true);
      kernel
          .putObject("packageVerificationCode")
          .put("packageVerificationCodeValue", verificationCode());
      kernel.put("primaryPackagePurpose", "OPERATING-SYSTEM");
      pkgs.add(kernel);
      relationships.add(ROOT_ID + " CONTAINS " + KERNEL_ID);
    }
    packages.values().forEach(pkgs::add);
    if (!files.isEmpty()) {
      files.values().forEach(doc.putArray("files")::add);
    }
    ArrayNode rels = doc.putArray("relationships");
    rels.addObject()
        .put("spdxElementId", "SPDXRef-DOCUMENT")
        .put("relationshipType", "DESCRIBES")
        .put("relatedSpdxElement", ROOT_ID);
    for (String r : relationships) {
      String[] parts = r.split(" ");
      rels.addObject()
          .put("spdxElementId", parts[0])
          .put("relationshipType", parts[1])
          .put("relatedSpdxElement", parts[2]);
    }
    // The namespace names the content: the hash of the document without it.
    String hash = Digests.hex(Digests.sha256(write(doc)));
    doc.put("documentNamespace", "https://lamina.dev/spdx/" + osImage + "/" + arch + "/" + hash);
    return write(doc);
  }

  /** SPDX's package verification code: SHA-1 over the sorted SHA-1s of the package's files. */
  private String verificationCode() {
    TreeSet<String> sums = new TreeSet<>();
    files
        .values()
        .forEach(f -> sums.add(f.path("checksums").get(0).path("checksumValue").asText()));
    MessageDigest sha1 = digest("SHA-1");
    sums.forEach(s -> sha1.update(s.getBytes(StandardCharsets.US_ASCII)));
    return HexFormat.of().formatHex(sha1.digest());
  }

  /** The purl of a layer image: {@code pkg:oci/NAME@DIGEST?arch=...&repository_url=...}. */
  public static String purl(String image, String digest, String arch) {
    String repo = image.startsWith("oci:") ? image.substring(4) : image;
    String name = repo.substring(repo.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
    return "pkg:oci/"
        + encode(name)
        + "@"
        + encode(digest)
        + "?arch="
        + encode(arch)
        + "&repository_url="
        + encode(repo);
  }

  private static ObjectNode element(String id, String name) {
    ObjectNode p = JSON.createObjectNode();
    p.put("SPDXID", id);
    p.put("name", name);
    return p;
  }

  private static void purl(ObjectNode p, String purl) {
    p.putArray("externalRefs")
        .addObject()
        .put("referenceCategory", "PACKAGE-MANAGER")
        .put("referenceType", "purl")
        .put("referenceLocator", purl);
  }

  /** An SPDX ID from a kind, a readable name and a hash of what makes the element unique. */
  private static String id(String kind, String name, String unique) {
    String readable = name.replaceAll("[^A-Za-z0-9.-]", "-");
    if (readable.length() > 64) {
      readable = readable.substring(0, 64);
    }
    String hash =
        Digests.hex(
            Digests.sha256((kind + "\0" + name + "\0" + unique).getBytes(StandardCharsets.UTF_8)));
    return "SPDXRef-" + kind + "-" + readable + "-" + hash.substring(0, 12);
  }

  /** Percent-encodes all but purl's unreserved characters. */
  static String encode(String s) {
    StringBuilder b = new StringBuilder();
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c & 0xff));
      }
    }
    return b.toString();
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] write(JsonNode n) {
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

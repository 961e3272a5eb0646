package dev.lamina.image;

import dev.lamina.files.Trees;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runtime layer's files for one architecture, staged as a directory tree that holds only
 * regular files and directories (jib-core follows symlinks, so every link is resolved here, inside
 * the unpacked packages, never against the build machine's own files):
 *
 * <ul>
 *   <li>{@code /opt/lamina/java}: a jlink image of the modules the operator uses, made from that
 *       architecture's jmods by the jlink of the same JDK version for the build machine;
 *   <li>the shared libraries libjvm needs (glibc, libstdc++, libgcc_s) and zlib, and the dynamic
 *       loader at the path the ELF headers name;
 *   <li>a Java truststore built from the ca-certificates package;
 *   <li>glibc's C.UTF-8 locale, so that file names and output are UTF-8;
 *   <li>{@code /etc/passwd} and {@code /etc/group} with the unprivileged user 65532, and the Debian
 *       copyright files of what was taken.
 * </ul>
 */
final class JavaRuntime {
  /**
   * What the operator needs, found with jdeps over lamina.jar and its dependencies and checked by
   * running the operator and a build in the image: the HTTP client (java.net.http), the health
   * server (jdk.httpserver), EC keys for TLS to the API server and registries (jdk.crypto.ec),
   * hostname checks (java.naming), Unsafe for protobuf and Guava (jdk.unsupported), and what
   * Jackson links to (java.sql, java.xml). java.desktop (java.beans, which Jackson and SnakeYAML
   * only use when present) is left out: it would add about 9 MB per architecture.
   */
  static final List<String> MODULES =
      List.of(
          "java.base",
          "java.logging",
          "java.management",
          "java.naming",
          "java.net.http",
          "java.sql",
          "java.xml",
          "jdk.crypto.ec",
          "jdk.httpserver",
          "jdk.unsupported");

  static final String JAVA_HOME = "opt/lamina/java";
  private static final String JDK = "openjdk-17-jdk-headless";
  private static final String JRE = "openjdk-17-jre-headless";

  /** glibc libraries by soname: libjvm, libjava and libnet need these; DNS needs nss. */
  private static final List<String> GLIBC =
      List.of(
          "libc.so.6",
          "libm.so.6",
          "libdl.so.2",
          "libpthread.so.0",
          "librt.so.1",
          "libresolv.so.2",
          "libnss_dns.so.2",
          "libnss_files.so.2");

  private static final Map<String, String> TRIPLET =
      Map.of("amd64", "x86_64-linux-gnu", "arm64", "aarch64-linux-gnu");
  private static final Map<String, String> LOADER =
      Map.of(
          "amd64", "lib64/ld-linux-x86-64.so.2",
          "arm64", "lib/ld-linux-aarch64.so.1");

  private JavaRuntime() {}

  /** The JDK version for every architecture: pinned, or apt's candidate for arm64. */
  static String jdkVersion(String pinned) throws IOException {
    return pinned != null ? pinned : DebianPackageSet.candidate(JDK, "arm64");
  }

  /**
   * Stages the runtime tree of {@code arch} into {@code rootfs} (which must not exist), using
   * {@code work} for unpacked packages.
   */
  static void stage(DebianPackageSet debs, String jdkVersion, String arch, Path work, Path rootfs)
      throws IOException {
    String host = DebianPackageSet.run(null, "dpkg", "--print-architecture").strip();
    Path tool = work.resolve("jdk-tool-" + host);
    debs.unpack(JRE, host, jdkVersion, tool);
    debs.unpack(JDK, host, jdkVersion, tool);
    Path jmodsRoot = work.resolve("jdk-" + arch);
    debs.unpack(JDK, arch, jdkVersion, jmodsRoot);
    Path sys = work.resolve("sys-" + arch);
    // gcc-12-base holds the copyright of libgcc-s1 and libstdc++6; libc-bin the C.UTF-8 locale.
    for (String pkg :
        List.of("libc6", "libc-bin", "libgcc-s1", "libstdc++6", "zlib1g", "gcc-12-base")) {
      debs.unpack(pkg, arch, null, sys);
    }
    Path certs = work.resolve("ca-certificates");
    debs.unpack("ca-certificates", "all", null, certs);

    Files.createDirectories(rootfs.getParent());
    if (Files.exists(rootfs)) {
      throw new IOException(rootfs + " exists already");
    }
    Path javaHome = rootfs.resolve(JAVA_HOME);
    Files.createDirectories(javaHome.getParent());
    // The build machine's jlink of the very same JDK version, so the runtime does not depend on
    // which JDK happens to run the build (jlink refuses jmods of another version anyway).
    Path jlink =
        DebianPackageSet.resolveInRoot(tool, "usr/lib/jvm/java-17-openjdk-" + host + "/bin/jlink");
    Path jmods =
        DebianPackageSet.resolveInRoot(jmodsRoot, "usr/lib/jvm/java-17-openjdk-" + arch + "/jmods");
    Path linked = work.resolve("jlink-" + arch);
    Trees.delete(linked);
    DebianPackageSet.run(
        null,
        jlink.toString(),
        "--module-path",
        jmods.toString(),
        "--add-modules",
        String.join(",", MODULES),
        // Debian's native libraries are stripped already; stripping them again would need an
        // objcopy for the target architecture.
        "--strip-java-debug-attributes",
        "--no-man-pages",
        "--no-header-files",
        "--compress=2",
        "--output",
        linked.toString());
    copyResolved(linked, linked, javaHome);
    writeTruststore(
        DebianPackageSet.resolveInRoot(certs, "usr/share/ca-certificates/mozilla"),
        javaHome.resolve("lib/security/cacerts"));

    String triplet = TRIPLET.get(arch);
    for (String dir : List.of("lib/" + triplet, "usr/lib/" + triplet)) {
      for (String name : List.of("libgcc_s.so.1", "libstdc++.so.6", "libz.so.1")) {
        copyIfPresent(sys, dir + "/" + name, rootfs);
      }
      for (String name : GLIBC) {
        copyIfPresent(sys, dir + "/" + name, rootfs);
      }
    }
    copyFile(
        DebianPackageSet.resolveInRoot(sys, LOADER.get(arch)), rootfs.resolve(LOADER.get(arch)));
    for (String lib : List.of("libc.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1")) {
      if (!Files.exists(rootfs.resolve("lib/" + triplet + "/" + lib))
          && !Files.exists(rootfs.resolve("usr/lib/" + triplet + "/" + lib))) {
        throw new IOException(lib + " for " + arch + " not found in the unpacked packages");
      }
    }
    // Without a UTF-8 locale the JVM encodes file names as ASCII (sun.jnu.encoding), and layer
    // entries with other characters would be mangled.
    copyResolved(
        sys, sys.resolve("usr/lib/locale/C.utf8"), rootfs.resolve("usr/lib/locale/C.utf8"));
    for (String pkg : List.of("libc6", "libgcc-s1", "libstdc++6", "zlib1g")) {
      copyFile(
          DebianPackageSet.resolveInRoot(sys, "usr/share/doc/" + pkg + "/copyright"),
          rootfs.resolve("usr/share/doc/" + pkg + "/copyright"));
    }
    copyFile(
        DebianPackageSet.resolveInRoot(certs, "usr/share/doc/ca-certificates/copyright"),
        rootfs.resolve("usr/share/doc/ca-certificates/copyright"));
    copyFile(
        DebianPackageSet.resolveInRoot(tool, "usr/share/doc/" + JRE + "/copyright"),
        rootfs.resolve("usr/share/doc/" + JRE + "/copyright"));

    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\n"
            + "lamina:x:65532:65532:lamina:/home/lamina:/sbin/nologin\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nlamina:x:65532:\n");
  }

  private static void copyIfPresent(Path sys, String path, Path rootfs) throws IOException {
    if (Files.exists(sys.resolve(path), LinkOption.NOFOLLOW_LINKS)) {
      copyFile(DebianPackageSet.resolveInRoot(sys, path), rootfs.resolve(path));
    }
  }

  /** Copies {@code dir} into {@code to}, replacing each symlink by what it names inside root. */
  private static void copyResolved(Path root, Path dir, Path to) throws IOException {
    List<Path> paths;
    try (Stream<Path> s = Files.walk(dir)) {
      paths = s.sorted().toList();
    }
    for (Path p : paths) {
      Path rel = dir.relativize(p);
      Path target = to.resolve(rel.toString());
      Path real = DebianPackageSet.resolveInRoot(root, root.relativize(p).toString());
      if (Files.isDirectory(real)) {
        Files.createDirectories(target);
      } else {
        copyFile(real, target);
      }
    }
  }

  private static void copyFile(Path from, Path to) throws IOException {
    Files.createDirectories(to.getParent());
    Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
  }

  /**
   * A password-less PKCS12 truststore of the Mozilla CAs that Debian ships, one entry per
   * certificate file in name order. Without a MAC and without encryption nothing in the file is
   * random, so the same certificates give the same bytes (the JDK's own cacerts is made the same
   * way).
   */
  static void writeTruststore(Path certDir, Path out) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(certDir)) {
      files =
          s.filter(p -> p.getFileName().toString().endsWith(".crt"))
              .sorted(Comparator.comparing(p -> p.getFileName().toString()))
              .toList();
    }
    if (files.isEmpty()) {
      throw new IOException("no certificates in " + certDir);
    }
    String[] props = {"keystore.pkcs12.certProtectionAlgorithm", "keystore.pkcs12.macAlgorithm"};
    List<String> saved = new ArrayList<>();
    for (String p : props) {
      saved.add(System.getProperty(p));
      System.setProperty(p, "NONE");
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      for (Path f : files) {
        Certificate cert =
            x509.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(f)));
        String name = f.getFileName().toString();
        store.setCertificateEntry(
            "debian:" + name.substring(0, name.length() - 4).toLowerCase() + ".pem", cert);
      }
      Files.deleteIfExists(out);
      try (OutputStream o = Files.newOutputStream(out)) {
        store.store(o, new char[0]);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot write the truststore: " + e.getMessage(), e);
    } finally {
      for (int i = 0; i < props.length; i++) {
        if (saved.get(i) == null) {
          System.clearProperty(props[i]);
        } else {
          System.setProperty(props[i], saved.get(i));
        }
      }
    }
  }
}

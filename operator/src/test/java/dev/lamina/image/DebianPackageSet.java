package dev.lamina.image;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian packages of any architecture fetched with {@code apt-get download} into a cache and
 * unpacked with {@code dpkg-deb -x}: no root needed, nothing installed. Records each package's
 * exact version, since the versions are what the image's bytes depend on.
 */
final class DebianPackageSet {
  private final Path cache;
  private final Map<String, String> versions = new TreeMap<>();

  DebianPackageSet(Path cache) {
    this.cache = cache;
  }

  /** {@code name:arch=version} of every package fetched so far, sorted. */
  List<String> fetched() {
    List<String> lines = new ArrayList<>();
    versions.forEach((pkg, version) -> lines.add(pkg + "=" + version));
    return lines;
  }

  /** The version apt would install of {@code name:arch}; fails if there is none. */
  static String candidate(String name, String arch) throws IOException {
    String out = run(null, "apt-cache", "policy", name + ":" + arch);
    return out.lines()
        .map(String::strip)
        .filter(l -> l.startsWith("Candidate:"))
        .map(l -> l.substring("Candidate:".length()).strip())
        .filter(v -> !v.equals("(none)"))
        .findFirst()
        .orElseThrow(
            () ->
                new IOException(
                    "no candidate for "
                        + name
                        + ":"
                        + arch
                        + " (run hack/install-deps.sh: it adds the arm64 package lists)"));
  }

  /**
   * Unpacks {@code name:arch} at {@code version} (null: the candidate) into {@code root}, unless
   * that exact version was unpacked there before.
   */
  void unpack(String name, String arch, String version, Path root) throws IOException {
    String v = version != null ? version : candidate(name, arch);
    Path marker = root.resolve(".unpacked-" + name + "_" + arch + "_" + v.replace(':', '%'));
    if (!Files.exists(marker)) {
      Path deb = download(name, arch, v);
      Files.createDirectories(root);
      run(null, "dpkg-deb", "-x", deb.toString(), root.toString());
      Files.writeString(marker, "");
    }
    versions.put(name + ":" + arch, v);
  }

  private Path download(String name, String arch, String version) throws IOException {
    // One directory per exact package version, so a finished download is simply reused.
    Path dir = cache.resolve(name + "_" + arch + "_" + version.replace(':', '%'));
    Path done = dir.resolve(".done");
    if (!Files.exists(done)) {
      Files.createDirectories(dir);
      run(dir, "apt-get", "download", name + ":" + arch + "=" + version);
      Files.writeString(done, "");
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".deb"))
          .findFirst()
          .orElseThrow(() -> new IOException("apt-get download left no .deb in " + dir));
    }
  }

  /**
   * Follows {@code path} inside {@code root} as if root were {@code /}: absolute symlink targets
   * stay inside it. Returns the real file, or throws if a link leaves root or loops.
   */
  static Path resolveInRoot(Path root, String path) throws IOException {
    Path current = root;
    List<String> todo = new ArrayList<>(List.of(path.split("/")));
    int hops = 0;
    while (!todo.isEmpty()) {
      String part = todo.remove(0);
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        current = current.equals(root) ? root : current.getParent();
        continue;
      }
      Path next = current.resolve(part);
      if (Files.isSymbolicLink(next)) {
        if (++hops > 40) {
          throw new IOException("too many symlinks resolving " + path + " in " + root);
        }
        String target = Files.readSymbolicLink(next).toString();
        List<String> rest = new ArrayList<>(List.of(target.split("/")));
        rest.addAll(todo);
        todo = rest;
        if (target.startsWith("/")) {
          current = root;
        }
        continue;
      }
      current = next;
    }
    if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(path + " does not exist in " + root);
    }
    return current;
  }

  /** Runs a command, returning its stdout; fails with its stderr. */
  static String run(Path dir, String... command) throws IOException {
    Path err = Files.createTempFile("lamina-image-", ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), UTF_8);
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", command)
                + " failed ("
                + p.exitValue()
                + "): "
                + Files.readString(err, UTF_8).strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    } finally {
      Files.deleteIfExists(err);
    }
  }
}

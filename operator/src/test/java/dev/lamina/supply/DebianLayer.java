package dev.lamina.supply;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.lamina.testing.TestLayers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A layer built from real Debian packages as an image builder would: each package's filesystem
 * ({@code dpkg-deb --fsys-tarfile}) as a blob, and a last blob with {@code var/lib/dpkg/status}
 * holding each package's control fields and {@code Status: install ok installed}, as dpkg records
 * an installed package.
 */
final class DebianLayer {
  private DebianLayer() {}

  /** The blobs (tar+gzip) and the dpkg status they carry. */
  record Built(List<byte[]> blobs, String status) {}

  static Built of(String arch, String... packages) throws IOException, InterruptedException {
    Path cache = Path.of(System.getProperty("user.home"), ".cache/lamina/supply-debs", arch);
    Files.createDirectories(cache);
    List<byte[]> blobs = new ArrayList<>();
    StringBuilder status = new StringBuilder();
    for (String pkg : packages) {
      Path deb = fetch(cache, pkg, arch);
      blobs.add(TestLayers.gzip(exec(cache, "dpkg-deb", "--fsys-tarfile", deb.toString())));
      String control = new String(exec(cache, "dpkg-deb", "-f", deb.toString()), UTF_8).strip();
      // dpkg puts Status right after Package.
      int nl = control.indexOf('\n');
      status
          .append(control, 0, nl + 1)
          .append("Status: install ok installed\n")
          .append(control.substring(nl + 1))
          .append("\n\n");
    }
    blobs.add(
        TestLayers.tarGz(
            TestLayers.Entry.dir("var"),
            TestLayers.Entry.dir("var/lib"),
            TestLayers.Entry.dir("var/lib/dpkg"),
            TestLayers.Entry.file("var/lib/dpkg/status", status.toString())));
    return new Built(blobs, status.toString());
  }

  private static Path fetch(Path cache, String pkg, String arch)
      throws IOException, InterruptedException {
    Path found = find(cache, pkg, arch);
    if (found == null) {
      exec(cache, "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg + ":" + arch);
      found = find(cache, pkg, arch);
    }
    if (found == null) {
      throw new IOException("apt-get download " + pkg + ":" + arch + " left no .deb in " + cache);
    }
    return found;
  }

  private static Path find(Path cache, String pkg, String arch) throws IOException {
    try (Stream<Path> files = Files.list(cache)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(pkg + "_"))
          .filter(f -> f.getFileName().toString().endsWith("_" + arch + ".deb"))
          .findFirst()
          .orElse(null);
    }
  }

  static byte[] exec(Path dir, String... cmd) throws IOException, InterruptedException {
    Path err = Files.createTempFile("cmd", ".err");
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(err.toFile()).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " failed: " + Files.readString(err));
    }
    Files.delete(err);
    return out;
  }
}

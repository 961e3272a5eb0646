package dev.lamina.assemble;

import static dev.lamina.assemble.TestTar.layer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the assembler in two JVM processes that differ in time zone, locale, temp directory,
 * processor count, thread count and garbage collector, and requires byte-identical outputs.
 */
class AssembleReproducibilityIT {
  @TempDir Path dir;

  @Test
  void outputsAreByteIdenticalAcrossProcessesZonesLocalesTempDirsAndThreads() throws Exception {
    byte[] big = new byte[1_000_000];
    new SplittableRandom(1).nextBytes(big);
    Path l1 =
        write(
            "base.tar.gz",
            layer()
                .dir("usr/lib")
                .symlink("lib", "usr/lib")
                .file("usr/lib/big.bin", big, 0644, e -> {})
                .file(
                    "usr/bin/ping",
                    "ping",
                    04755,
                    e -> e.addPaxHeader("SCHILY.xattr.security.capability", "\u0001\u0000\u0002"))
                .hardlink("usr/bin/ping6", "usr/bin/ping")
                .device("dev/null", TarConstants.LF_CHR, 0666, 1, 3)
                .file("etc/\u00e9t\u00e9/caf\u00e9", "unicode name")
                .file("var/old/x", "x")
                .gzip());
    Path l2 =
        write(
            "update.tar.zst",
            layer()
                .file("lib/libz.so", "z")
                .whiteout("etc/\u00e9t\u00e9/caf\u00e9")
                .opaque("var/old")
                .file("var/old/y", "y")
                .zstd());
    Path l3 = write("extra.tar", layer().file("opt/" + "long/".repeat(30) + "f", "deep").tar());
    Path files = dir.resolve("files.json");
    Files.writeString(
        files,
        "[{\"path\":\"etc/hostname\",\"contents\":\"node\\n\",\"mode\":\"0600\"},"
            + "{\"path\":\"run\",\"directory\":true},{\"path\":\"bin\",\"symlink\":\"usr/bin\"}]");
    List<String> layers = List.of("base=" + l1, "update=" + l2 + "," + l3);

    Path a =
        run(
            "a",
            Map.of("TZ", "UTC", "LANG", "C", "LC_ALL", "C"),
            List.of("-XX:ActiveProcessorCount=1", "-XX:+UseSerialGC"),
            "1",
            files,
            layers);
    Path b =
        run(
            "b",
            Map.of("TZ", "Pacific/Chatham", "LANG", "tr_TR.UTF-8", "LC_ALL", "tr_TR.UTF-8"),
            List.of(
                "-XX:ActiveProcessorCount=2",
                "-XX:+UseParallelGC",
                "-Duser.language=tr",
                "-Duser.country=TR"),
            "2",
            files,
            layers);
    for (String out : List.of("initrd.gz", "initrd.zst", "rootfs.tar")) {
      assertThat(Files.readAllBytes(b.resolve(out)))
          .as(out)
          .isEqualTo(Files.readAllBytes(a.resolve(out)));
    }

    // Real tools read what we wrote.
    String cpio = sh("gzip -dc " + a.resolve("initrd.gz") + " | cpio -it --quiet");
    assertThat(cpio.lines())
        .contains(
            "usr/lib/big.bin",
            "usr/lib/libz.so",
            "usr/bin/ping6",
            "dev/null",
            "etc/hostname",
            "var/old/y")
        .doesNotContain("var/old/x", "etc/\u00e9t\u00e9/caf\u00e9")
        .noneMatch(l -> l.contains(".wh."));
    String tar = sh("tar -tf " + a.resolve("rootfs.tar"));
    assertThat(tar.lines()).contains("usr/lib/big.bin", "opt/" + "long/".repeat(30) + "f", "bin");
  }

  private Path run(
      String name,
      Map<String, String> env,
      List<String> jvm,
      String threads,
      Path files,
      List<String> layers)
      throws Exception {
    Path out = Files.createDirectories(dir.resolve("out-" + name));
    Path tmp =
        Files.createDirectories(
            dir.resolve("tmp-" + name + "-" + "x".repeat(name.equals("a") ? 1 : 40)));
    for (String[] format : new String[][] {{"gzip", "initrd.gz"}, {"zstd", "initrd.zst"}}) {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvm);
      cmd.add("-Djava.io.tmpdir=" + tmp);
      cmd.addAll(List.of("-cp", classpath(), Main.class.getName(), "assemble"));
      cmd.addAll(
          List.of("--compression", format[0], "--initrd", out.resolve(format[1]).toString()));
      cmd.addAll(
          List.of("--rootfs", out.resolve("rootfs.tar").toString(), "--epoch", "1700000000"));
      cmd.addAll(List.of("--threads", threads, "--files", files.toString()));
      cmd.addAll(layers);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(log).isZero();
    }
    try (var left = Files.list(tmp)) {
      assertThat(left).as("spool left behind").isEmpty();
    }
    return out;
  }

  private static String classpath() {
    String jar = System.getProperty("lamina.jar");
    return jar != null && Files.exists(Path.of(jar)) ? jar : System.getProperty("java.class.path");
  }

  private static String sh(String command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("sh", "-c", command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(command).isZero();
    return out;
  }

  private Path write(String name, byte[] data) throws IOException {
    return Files.write(dir.resolve(name), data);
  }
}

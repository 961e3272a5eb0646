package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.testing.TarBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden {@code lamina assemble}: local blobs in, archives out, bad input named. */
class AssembleCommandTest {
  @TempDir Path dir;

  @Test
  void layersBecomeARootfsTar() throws Exception {
    Path base = Files.write(dir.resolve("base.tar"), TarBytes.of(t -> t.file("etc/issue", "1")));
    Path site = Files.write(dir.resolve("site.tar"), TarBytes.of(t -> t.file("etc/issue", "2")));
    Path rootfs = dir.resolve("rootfs.tar");
    CliRun run =
        CliRun.inProcess("assemble", "--rootfs", rootfs.toString(), "base=" + base, "site=" + site);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains("1 overlaps");
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(rootfs))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null && !e.getName().equals("etc/issue")) {
        // skip etc/
      }
      assertThat(e).isNotNull();
      assertThat(new String(in.readAllBytes())).isEqualTo("2");
    }
  }

  @Test
  void badInputIsNamedAndExitsTwo() {
    CliRun nothing = CliRun.inProcess("assemble", "a=" + dir.resolve("x.tar"));
    assertThat(nothing.exit()).isEqualTo(2);
    assertThat(nothing.err()).contains("nothing to write");
    CliRun noName = CliRun.inProcess("assemble", "--rootfs", "r.tar", "x.tar");
    assertThat(noName.exit()).isEqualTo(2);
    assertThat(noName.err()).contains("layer \"x.tar\" is not NAME=BLOB");
  }

  @Test
  void aCorruptLayerFailsNamingIt() throws Exception {
    Path bad = Files.write(dir.resolve("bad.tar"), new byte[] {1, 2, 3});
    CliRun run =
        CliRun.inProcess("assemble", "--rootfs", dir.resolve("r.tar").toString(), "bad=" + bad);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).startsWith("lamina assemble: layer \"bad\"").hasLineCount(1);
  }
}

package dev.lamina.assemble;

import static dev.lamina.assemble.TestTar.layer;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsTarWriterTest {
  @TempDir Path tmp;

  @Test
  void writesPaxTarWithLinkEntriesXattrsAndLongNames() throws IOException {
    String longName = "d/" + "n".repeat(150);
    TestTar l =
        layer()
            .file(
                "bin/ping",
                "p",
                04755,
                e -> {
                  e.addPaxHeader("SCHILY.xattr.security.capability", "\u0001\u0000\u0002");
                  e.setUserId(3_000_000);
                })
            .hardlink("bin/ping6", "bin/ping")
            .symlink("s", "t".repeat(120))
            .device("dev/sda", TarConstants.LF_BLK, 0660, 8, 1)
            .file(longName, "long");
    byte[] tar;
    try (LayerUnion u =
        new LayerUnion(
            List.of(new LayerSource("l", List.of(TestTar.supplier(l.gzip())))), tmp, 0)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new RootfsTarWriter().write(u, out);
      tar = out.toByteArray();
      ByteArrayOutputStream again = new ByteArrayOutputStream();
      new RootfsTarWriter().write(u, again);
      assertThat(again.toByteArray()).isEqualTo(tar);
    }
    assertThat(tar.length % 10240).isZero();
    List<String> got = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        String line =
            String.format(
                "%s %c %o %d %s %d",
                e.getName(),
                (char) linkFlag(e),
                e.getMode(),
                e.getLongUserId(),
                e.getLinkName(),
                e.getSize());
        if (e.isBlockDevice()) {
          line += " " + e.getDevMajor() + "," + e.getDevMinor();
        }
        for (Map.Entry<String, String> x : e.getExtraPaxHeaders().entrySet()) {
          line +=
              " " + x.getKey() + "=" + HexFormat.of().formatHex(x.getValue().getBytes(ISO_8859_1));
        }
        got.add(line);
      }
    }
    assertThat(got)
        .containsExactly(
            "bin/ 5 755 0  0",
            "bin/ping 0 4755 3000000  1 SCHILY.xattr.security.capability=010002",
            "bin/ping6 1 4755 3000000 bin/ping 0 SCHILY.xattr.security.capability=010002",
            "d/ 5 755 0  0",
            longName + " 0 644 0  4",
            "dev/ 5 755 0  0",
            "dev/sda 4 660 0  0 8,1",
            "s 2 777 0 " + "t".repeat(120) + " 0");
  }

  private static int linkFlag(TarArchiveEntry e) {
    if (e.isDirectory()) {
      return '5';
    }
    if (e.isLink()) {
      return '1';
    }
    if (e.isSymbolicLink()) {
      return '2';
    }
    if (e.isBlockDevice()) {
      return '4';
    }
    return '0';
  }
}

package dev.lamina.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lamina.api.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;

/**
 * Whatever union a fuzzed layer makes, the initrd writer either refuses it with a reason or writes
 * a cpio archive that an independent reader (commons-compress) reads back with exactly the union's
 * names; the rootfs tar writer's output reads back through our own tar reader with the same names.
 */
class InitrdWriterFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void writesEveryUnionAsReadableArchives(byte[] blobs) throws IOException {
    List<byte[]> parts = FuzzSeeds.split(blobs);
    try (LayerUnion union =
        new LayerUnion(
            List.of(new LayerSource("fuzz", FuzzSeeds.suppliers(parts))),
            FuzzSeeds.tempDir(),
            0,
            1)) {
      List<String> expected = new ArrayList<>();
      for (LayerUnion.Entry e : union.entries()) {
        expected.add(e.path());
      }

      ByteArrayOutputStream cpio = new ByteArrayOutputStream();
      boolean written = false;
      try {
        new InitrdWriter(Compression.none, 1).write(union, cpio);
        written = true;
      } catch (AssemblyException refused) {
        FuzzSeeds.assertReason(refused);
        assertThat(cpio.size()).as("nothing written when a check fails").isZero();
      }
      if (written) {
        List<String> names = new ArrayList<>();
        try (CpioArchiveInputStream in =
            new CpioArchiveInputStream(
                new ByteArrayInputStream(cpio.toByteArray()), "ISO-8859-1")) {
          for (CpioArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
            names.add(e.getName());
          }
        }
        assertThat(names).isEqualTo(expected);
      }

      ByteArrayOutputStream tar = new ByteArrayOutputStream();
      new RootfsTarWriter().write(union, tar);
      assertThat(readBack(tar.toByteArray())).isEqualTo(expected);
    } catch (AssemblyException e) {
      FuzzSeeds.assertReason(e);
    }
  }

  /** The names in a tar we wrote; our own reader must accept every byte of it. */
  private static List<String> readBack(byte[] tar) throws IOException {
    List<String> names = new ArrayList<>();
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    try {
      for (TarReader.Header h = reader.next(); h != null; h = reader.next()) {
        String n = h.name();
        names.add(
            h.type() == TarReader.DIR && n.endsWith("/") ? n.substring(0, n.length() - 1) : n);
      }
    } catch (AssemblyException e) {
      throw new AssertionError("the rootfs tar we wrote does not read back: " + e.getMessage(), e);
    }
    return names;
  }
}

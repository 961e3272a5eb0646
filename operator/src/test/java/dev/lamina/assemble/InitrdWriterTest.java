package dev.lamina.assemble;

import static dev.lamina.assemble.TestTar.layer;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdInputStream;
import dev.lamina.api.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitrdWriterTest {
  @TempDir Path tmp;

  private LayerUnion union() throws IOException {
    byte[] big = new byte[300_000];
    new SplittableRandom(7).nextBytes(big);
    TestTar base =
        layer()
            .dir("bin")
            .file("bin/busybox", big, 04755, e -> e.setUserId(0))
            .hardlink("bin/sh", "bin/busybox")
            .symlink("bin/ls", "busybox")
            .symlink("lib", "usr/lib")
            .device("dev/console", TarConstants.LF_CHR, 0600, 5, 1)
            .file("etc/motd", "hello\n")
            .dir("tmp", 01777);
    TestTar upper = layer().file("lib/libc.so", "libc").hardlink("a-first", "etc/motd");
    return new LayerUnion(
        List.of(
            new LayerSource("base", List.of(TestTar.supplier(base.gzip()))),
            new LayerSource("upper", List.of(TestTar.supplier(upper.zstd())))),
        tmp,
        0);
  }

  @Test
  void writesNewcWithInodesInPathOrderAndHardLinkDataOnTheFirstName() throws IOException {
    byte[] cpio;
    try (LayerUnion u = union()) {
      cpio = write(u, Compression.none, 2);
    }
    List<String> got = new ArrayList<>();
    try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(cpio))) {
      for (CpioArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        byte[] data = in.readAllBytes();
        got.add(
            String.format(
                "%s ino=%d mode=%o nlink=%d size=%d dev=%d,%d rdev=%d,%d%s",
                e.getName(),
                e.getInode(),
                e.getMode(),
                e.getNumberOfLinks(),
                e.getSize(),
                e.getDeviceMaj(),
                e.getDeviceMin(),
                e.getRemoteDeviceMaj(),
                e.getRemoteDeviceMin(),
                data.length < 20 ? " " + new String(data, ISO_8859_1).strip() : ""));
      }
    }
    assertThat(got)
        .containsExactly(
            "a-first ino=1 mode=100644 nlink=2 size=6 dev=0,0 rdev=0,0 hello",
            "bin ino=2 mode=40755 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "bin/busybox ino=3 mode=104755 nlink=2 size=300000 dev=0,0 rdev=0,0",
            "bin/ls ino=4 mode=120777 nlink=1 size=7 dev=0,0 rdev=0,0 busybox",
            "bin/sh ino=3 mode=104755 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "dev ino=5 mode=40755 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "dev/console ino=6 mode=20600 nlink=1 size=0 dev=0,0 rdev=5,1 ",
            "etc ino=7 mode=40755 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "etc/motd ino=1 mode=100644 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "lib ino=8 mode=120777 nlink=1 size=7 dev=0,0 rdev=0,0 usr/lib",
            "tmp ino=9 mode=41777 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "usr ino=10 mode=40755 nlink=3 size=0 dev=0,0 rdev=0,0 ",
            "usr/lib ino=11 mode=40755 nlink=2 size=0 dev=0,0 rdev=0,0 ",
            "usr/lib/libc.so ino=12 mode=100644 nlink=1 size=4 dev=0,0 rdev=0,0 libc");
    // The trailer's header is 110 bytes and its name 11, padded to 124.
    assertThat(new String(cpio, cpio.length - 14, 14, ISO_8859_1)).isEqualTo("TRAILER!!!\0\0\0\0");
    assertThat(cpio.length % 4).isZero();
  }

  @Test
  void gzipOutputIsTheSameForAnyThreadCountAndHasAFixedHeader() throws IOException {
    try (LayerUnion u = union()) {
      byte[] plain = write(u, Compression.none, 1);
      byte[] one = write(u, Compression.gzip, 1);
      byte[] two = write(u, Compression.gzip, 2);
      byte[] five = write(u, Compression.gzip, 5);
      assertThat(two).isEqualTo(one);
      assertThat(five).isEqualTo(one);
      assertThat(Arrays.copyOf(one, 10)).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);
      assertThat(new GZIPInputStream(new ByteArrayInputStream(one)).readAllBytes())
          .isEqualTo(plain);
    }
  }

  @Test
  void zstdOutputIsTheSameForAnyThreadCount() throws IOException {
    try (LayerUnion u = union()) {
      byte[] plain = write(u, Compression.none, 1);
      byte[] one = write(u, Compression.zstd, 1);
      byte[] two = write(u, Compression.zstd, 2);
      assertThat(two).isEqualTo(one);
      assertThat(new ZstdInputStream(new ByteArrayInputStream(one)).readAllBytes())
          .isEqualTo(plain);
    }
  }

  @Test
  void fileTooLargeForNewcIsAnErrorBeforeAnyByteIsWritten() throws IOException {
    try (LayerUnion u = union()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThatThrownBy(() -> new InitrdWriter(Compression.gzip, 1, 299_999).write(u, out))
          .isInstanceOf(AssemblyException.class)
          .hasMessage(
              "file \"bin/busybox\" is 300000 bytes, more than cpio newc can hold (299999)");
      assertThat(out.size()).isZero();
    }
  }

  private static byte[] write(LayerUnion u, Compression c, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new InitrdWriter(c, threads).write(u, out);
    return out.toByteArray();
  }
}

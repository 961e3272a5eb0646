package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.luben.zstd.Zstd;
import dev.lamina.oci.IoSupplier;
import dev.lamina.testing.TestLayers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tarballs for tests with commons-compress, an implementation independent of ours. */
final class TestTar {
  static final long MTIME = 1_000_000;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar;

  private TestTar(int longFileMode, int bigNumberMode) {
    tar = new TarArchiveOutputStream(bytes, "UTF-8");
    tar.setLongFileMode(longFileMode);
    tar.setBigNumberMode(bigNumberMode);
  }

  /** A POSIX (PAX) tar. */
  static TestTar layer() {
    return new TestTar(
        TarArchiveOutputStream.LONGFILE_POSIX, TarArchiveOutputStream.BIGNUMBER_POSIX);
  }

  /** A GNU tar: long names in 'L'/'K' entries, big numbers in base-256. */
  static TestTar gnuLayer() {
    return new TestTar(TarArchiveOutputStream.LONGFILE_GNU, TarArchiveOutputStream.BIGNUMBER_STAR);
  }

  TestTar file(String name, String content) {
    return file(name, content, 0644, e -> {});
  }

  TestTar file(String name, String content, int mode, Consumer<TarArchiveEntry> more) {
    return file(name, content.getBytes(UTF_8), mode, more);
  }

  TestTar file(String name, byte[] data, int mode, Consumer<TarArchiveEntry> more) {
    TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
    e.setSize(data.length);
    more.accept(e);
    return put(e, data);
  }

  TestTar dir(String name) {
    return dir(name, 0755);
  }

  TestTar dir(String name, int mode) {
    return put(entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode), null);
  }

  TestTar symlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
    e.setLinkName(target);
    return put(e, null);
  }

  TestTar hardlink(String name, String target) {
    TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644);
    e.setLinkName(target);
    return put(e, null);
  }

  TestTar whiteout(String name) {
    int slash = name.lastIndexOf('/');
    return file(name.substring(0, slash + 1) + ".wh." + name.substring(slash + 1), "");
  }

  TestTar opaque(String dir) {
    return file(dir.isEmpty() ? ".wh..wh..opq" : dir + "/.wh..wh..opq", "");
  }

  TestTar device(String name, byte type, int mode, int major, int minor) {
    TarArchiveEntry e = entry(name, type, mode);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    return put(e, null);
  }

  private static TarArchiveEntry entry(String name, byte type, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setMode(mode);
    e.setModTime(FileTime.from(MTIME, TimeUnit.SECONDS));
    return e;
  }

  private TestTar put(TarArchiveEntry e, byte[] data) {
    try {
      tar.putArchiveEntry(e);
      if (data != null) {
        tar.write(data);
      }
      tar.closeArchiveEntry();
      return this;
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  byte[] tar() {
    try {
      tar.finish();
      return bytes.toByteArray();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  byte[] gzip() {
    return TestLayers.gzip(tar());
  }

  byte[] zstd() {
    return Zstd.compress(tar());
  }

  static IoSupplier<InputStream> supplier(byte[] blob) {
    return () -> new ByteArrayInputStream(blob);
  }
}

package dev.lamina.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreesTest {
  @Test
  void deletesTheTreeButNotWhatItsLinksPointTo(@TempDir Path tmp) throws Exception {
    Path outside = Files.writeString(tmp.resolve("outside"), "keep");
    Path root = Files.createDirectories(tmp.resolve("root/a/b"));
    Files.writeString(root.resolve("f"), "x");
    Files.createSymbolicLink(tmp.resolve("root/a/link"), outside);
    Files.createSymbolicLink(tmp.resolve("root/dirlink"), tmp);

    Trees.delete(tmp.resolve("root"));

    assertThat(tmp.resolve("root")).doesNotExist();
    assertThat(outside).hasContent("keep");
  }

  @Test
  void aMissingRootOrNullDeletesNothing(@TempDir Path tmp) throws Exception {
    Trees.delete(tmp.resolve("missing"));
    Trees.delete(null);
    assertThat(Trees.deleteQuietly(tmp.resolve("missing"))).isTrue();
    assertThat(tmp).exists();
  }

  @Test
  void deleteQuietlySaysWhenSomethingStayed(@TempDir Path tmp) throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root/locked"));
    Files.writeString(root.resolve("f"), "x");
    root.toFile().setWritable(false);
    try {
      // Run as root the permission stops nothing; either way the answer matches what is left.
      boolean gone = Trees.deleteQuietly(tmp.resolve("root"));
      assertThat(gone).isEqualTo(!Files.exists(tmp.resolve("root")));
    } finally {
      root.toFile().setWritable(true);
    }
  }
}

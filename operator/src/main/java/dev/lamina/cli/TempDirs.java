package dev.lamina.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The scratch directories the commands work in. */
final class TempDirs {
  private TempDirs() {}

  /** Deletes {@code dir} and everything under it, as far as it can; null deletes nothing. */
  static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: the directory is ours and only wastes space if it stays.
    }
  }
}

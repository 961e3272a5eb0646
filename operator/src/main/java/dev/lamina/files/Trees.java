package dev.lamina.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Directory trees the builder, the CLI and the tests work in and clean up. */
public final class Trees {
  private Trees() {}

  /**
   * Deletes {@code root} and everything under it; a missing (or null) root deletes nothing. Links
   * are deleted, never followed.
   */
  public static void delete(Path root) throws IOException {
    if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * {@link #delete} as far as it gets: for scratch space that only wastes disk if it stays.
   *
   * @return whether all of it is gone
   */
  public static boolean deleteQuietly(Path root) {
    try {
      delete(root);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}

package dev.lamina.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed crds/ must be what the CRD generator makes of the Java types. */
class CrdDriftTest {
  private static final String REFRESH =
      "crds/ is out of date with the Java types: run `mvn -pl operator -Pupdate-crds"
          + " process-classes` and commit crds/";

  // Surefire runs in operator/, after process-classes generated target/classes/META-INF/fabric8.
  private static final Path COMMITTED = Path.of("..", "crds");
  private static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8");

  @Test
  void committedCrdsEqualTheGeneratedOnes() throws IOException {
    List<String> generated = crdFiles(GENERATED);
    assertThat(generated).as("CRDs generated in " + GENERATED.toAbsolutePath()).isNotEmpty();
    assertThat(crdFiles(COMMITTED)).as(REFRESH).isEqualTo(generated);
    for (String name : generated) {
      assertThat(Files.readString(COMMITTED.resolve(name)))
          .as(REFRESH + " (" + name + " differs)")
          .isEqualTo(Files.readString(GENERATED.resolve(name)));
    }
  }

  private static List<String> crdFiles(Path dir) throws IOException {
    assertThat(dir).as("directory " + dir.toAbsolutePath()).isDirectory();
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith("-v1.yml"))
          .sorted()
          .toList();
    }
  }
}

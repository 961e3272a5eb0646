package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class OperatorCommandTest {
  @Test
  void maximumLimitsDefaultTo32GiAndTwoMillionEntries() {
    OperatorCommand c = new OperatorCommand();
    new CommandLine(c).parseArgs();
    assertThat(System.getenv("LAMINA_MAX_UNCOMPRESSED_BYTES")).isNull();
    assertThat(OperatorCommand.bytes(c.maxUncompressedBytes)).isEqualTo(32L << 30);
    assertThat(c.maxEntries).isEqualTo(2_000_000L);
  }

  @Test
  void maximumLimitsAreReadAsQuantities() {
    OperatorCommand c = new OperatorCommand();
    new CommandLine(c).parseArgs("--max-uncompressed-bytes", "512Mi", "--max-entries", "1000");
    assertThat(OperatorCommand.bytes(c.maxUncompressedBytes)).isEqualTo(512L << 20);
    assertThat(c.maxEntries).isEqualTo(1000L);
    assertThat(OperatorCommand.bytes("8G")).isEqualTo(8_000_000_000L);
    assertThatThrownBy(() -> OperatorCommand.bytes("lots"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

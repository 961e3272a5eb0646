package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VerifyingInputStreamTest {
  private static final byte[] CONTENT = "exactly these bytes".getBytes(StandardCharsets.UTF_8);
  private static final String DIGEST = Digests.sha256(CONTENT);

  private static InputStream verifying(byte[] actual, long size) {
    return new VerifyingInputStream(new ByteArrayInputStream(actual), DIGEST, size, "test blob");
  }

  @Test
  void matchingContentPassesThrough() throws IOException {
    assertThat(verifying(CONTENT, CONTENT.length).readAllBytes()).isEqualTo(CONTENT);
  }

  @Test
  void mismatchFailsBeforeTheLastBytesReachTheReader() throws IOException {
    byte[] corrupt = CONTENT.clone();
    corrupt[corrupt.length - 1] ^= 1;
    InputStream in = verifying(corrupt, CONTENT.length);
    byte[] buf = new byte[CONTENT.length - 3];

    assertThat(in.readNBytes(buf, 0, buf.length)).isEqualTo(buf.length);
    // A reader that wants exactly the expected size never sees the bad tail.
    assertThatThrownBy(() -> in.readNBytes(3))
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("test blob")
        .hasMessageContaining(DIGEST);
  }

  @Test
  void shortAndLongContentFail() {
    byte[] longer =
        (new String(CONTENT, StandardCharsets.UTF_8) + "!").getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> verifying(CONTENT, CONTENT.length + 1).readAllBytes())
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("ended after " + CONTENT.length);
    assertThatThrownBy(() -> verifying(longer, CONTENT.length).readAllBytes())
        .isInstanceOf(DigestMismatchException.class)
        .hasMessageContaining("more than the expected " + CONTENT.length);
  }

  @Test
  void emptyBlobVerifiesAtEndOfStream() throws IOException {
    byte[] empty = new byte[0];
    InputStream in =
        new VerifyingInputStream(
            new ByteArrayInputStream(empty), Digests.sha256(empty), 0, "empty blob");

    assertThat(in.read()).isEqualTo(-1);
  }
}

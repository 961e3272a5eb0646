package dev.lamina.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Any byte string given to the tar reader either reads as an archive or fails with an {@link
 * AssemblyException} that says why; any other throwable (a runtime exception, an error, a hang) is
 * a bug. Seeds: {@code TarReaderFuzzTestInputs/} (written by {@link FuzzSeeds}).
 */
class TarReaderFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void readsEveryArchiveOrSaysWhy(byte[] archive) throws IOException {
    TarReader tar = new TarReader(new ByteArrayInputStream(archive));
    try {
      for (TarReader.Header h = tar.next(); h != null; h = tar.next()) {
        assertThat(h.size()).isNotNegative();
        assertThat(h.name()).isNotNull();
        assertThat(h.linkName()).isNotNull();
        tar.data().transferTo(OutputStream.nullOutputStream());
      }
    } catch (AssemblyException e) {
      FuzzSeeds.assertReason(e);
    }
  }
}

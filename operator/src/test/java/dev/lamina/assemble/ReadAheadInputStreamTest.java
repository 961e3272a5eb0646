package dev.lamina.assemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadAheadInputStreamTest {
  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 100_000})
  void passesEveryByteInOrder(int size) throws IOException {
    byte[] data = new byte[size];
    new SplittableRandom(size).nextBytes(data);
    // Small chunks and a short queue, so the reader waits for the thread and reuses buffers.
    try (InputStream in = new ReadAheadInputStream(new ByteArrayInputStream(data), 4096, 2)) {
      byte[] got = new byte[size];
      int n = 0;
      // Odd read sizes cross chunk boundaries; single bytes and skips too.
      for (int step = 1; n < size; step = step * 3 % 10_007 + 1) {
        if (step % 7 == 0) {
          got[n++] = (byte) in.read();
        } else if (step % 11 == 0) {
          int k = (int) in.skip(Math.min(step, size - n));
          System.arraycopy(data, n, got, n, k);
          n += k;
        } else {
          int k = in.read(got, n, Math.min(step, size - n));
          assertThat(k).isPositive();
          n += k;
        }
      }
      assertThat(got).isEqualTo(data);
      assertThat(in.read()).isEqualTo(-1);
      assertThat(in.read(new byte[8], 0, 8)).isEqualTo(-1);
    }
  }

  @Test
  void theSourcesFailureReachesTheReaderAsTheSameException() throws IOException {
    EOFException failure = new EOFException("Unexpected end of ZLIB input stream");
    InputStream failing =
        new SequenceInputStream(
            new ByteArrayInputStream(new byte[10_000]),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw failure;
              }
            });
    try (InputStream in = new ReadAheadInputStream(failing, 4096, 2)) {
      assertThat(in.readNBytes(8192)).hasSize(8192);
      assertThatThrownBy(in::readAllBytes).isSameAs(failure);
    }
  }

  @Test
  void closingEarlyStopsTheThreadAndClosesTheSource() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            return 'x';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            java.util.Arrays.fill(b, off, off + len, (byte) 'x');
            return len;
          }

          @Override
          public void close() {
            closed.set(true);
          }
        };
    ReadAheadInputStream in = new ReadAheadInputStream(endless, 4096, 2);
    assertThat(in.read()).isEqualTo('x');
    in.close();
    assertThat(closed).isTrue();
    assertThat(in.thread().isAlive()).isFalse();
    assertThatThrownBy(in::read).isInstanceOf(IOException.class);
  }
}

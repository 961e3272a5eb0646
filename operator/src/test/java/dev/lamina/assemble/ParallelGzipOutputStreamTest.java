package dev.lamina.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelGzipOutputStreamTest {
  private static final int B = ParallelGzipOutputStream.BLOCK;

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 32 * 1024 - 1, B - 1, B, B + 1, 3 * B + 12_345})
  void roundTripsAndDoesNotDependOnThreads(int size) throws IOException {
    byte[] data = mixed(size);
    byte[] one = compress(data, 1);
    assertThat(compress(data, 2)).isEqualTo(one);
    assertThat(compress(data, 4)).isEqualTo(one);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(one)).readAllBytes()).isEqualTo(data);
  }

  /** Halves of text-like and random bytes, so blocks both compress and do not. */
  static byte[] mixed(int size) {
    byte[] data = new byte[size];
    SplittableRandom r = new SplittableRandom(size);
    String[] words = {"kernel ", "init ", "layer ", "union ", "lamina ", "\n"};
    int i = 0;
    while (i < size / 2) {
      for (byte b : words[r.nextInt(words.length)].getBytes()) {
        if (i < size / 2) {
          data[i++] = b;
        }
      }
    }
    for (; i < size; i++) {
      data[i] = (byte) r.nextInt();
    }
    return data;
  }

  private static byte[] compress(byte[] data, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream z = new ParallelGzipOutputStream(out, 6, threads)) {
      // Odd write sizes so block boundaries fall inside writes.
      for (int off = 0; off < data.length; off += 7777) {
        z.write(data, off, Math.min(7777, data.length - off));
      }
    }
    return out.toByteArray();
  }
}

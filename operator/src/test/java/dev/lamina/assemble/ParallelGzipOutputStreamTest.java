package dev.lamina.assemble;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
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

  @Test
  void randomBlocksAreStoredAndTextBlocksCompressed() throws IOException {
    byte[] random = new byte[3 * B];
    new SplittableRandom(7).nextBytes(random);
    byte[] z = compress(random, 2);
    // Header, three pieces of three stored blocks (65,535 + 65,535 + 2 bytes) each, the empty
    // final block (2 bytes), trailer.
    assertThat(z).hasSize(10 + random.length + 9 * 5 + 2 + 8);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(z)).readAllBytes()).isEqualTo(random);

    byte[] text = mixed(2 * 3 * B);
    byte[] firstHalf = java.util.Arrays.copyOf(text, 3 * B);
    assertThat(compress(firstHalf, 2).length).isLessThan(firstHalf.length / 2);
  }

  @Test
  void aDictionaryReachesBackIntoAStoredBlock() throws IOException {
    // Random bytes, then the same random bytes again: the second copy is compressible only through
    // the dictionary, which is the stored block before it.
    byte[] data = new byte[2 * B];
    byte[] half = new byte[B];
    new SplittableRandom(8).nextBytes(half);
    System.arraycopy(half, 0, data, 0, B);
    System.arraycopy(half, B - 32 * 1024, data, B, 32 * 1024);
    System.arraycopy(mixed(2 * B), 0, data, B + 32 * 1024, B - 32 * 1024); // text only
    byte[] z = compress(data, 2);
    assertThat(new GZIPInputStream(new ByteArrayInputStream(z)).readAllBytes()).isEqualTo(data);
    assertThat(z.length).isLessThan(B + B / 2);
  }

  /**
   * The bytes of the product's level, pinned: every machine, processor and JVM must give these. The
   * deflated blocks come from the JDK's zlib (Debian's zlib 1.2.13 in the image), so a JDK built on
   * a zlib that deflates differently (zlib-ng, Chromium's) fails here rather than writing other
   * bytes under the same input digest. When a change of the compressor changes them, raise
   * InputDigest.OUTPUT_FORMAT_VERSION and pin the new digest.
   */
  @Test
  void productLevelBytesArePinned() throws IOException {
    byte[] data = mixed(3 * B + 12_345);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (var z = Compressors.open(dev.lamina.api.Compression.gzip, out, 2)) {
      z.write(data);
    }
    assertThat(dev.lamina.oci.Digests.sha256(out.toByteArray())).isEqualTo(PINNED);
  }

  static final String PINNED =
      "sha256:9d4d4127aebb5575c01bc09b52766e274ee3b48892c4be3cb52372f8871f6846";

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

package dev.lamina.assemble;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.lamina.api.Compression;
import dev.lamina.oci.NonClosingOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Compressed output streams with fixed parameters, so the bytes depend only on the input. */
final class Compressors {
  /**
   * zlib's level 4: a quarter less CPU than 6 for 0.6% more bytes on the benchmark corpus (levels
   * 1-3 save another third but cost 4-10% in size, more than LinuxKit's pgzip output is larger).
   */
  static final int GZIP_LEVEL = 4;

  static final int ZSTD_LEVEL = 3;

  private Compressors() {}

  /**
   * A stream that compresses into {@code out}; closing it finishes the compressed stream but leaves
   * {@code out} open. zstd always runs with at least one worker: zstd's multi-threaded format is
   * the same for any worker count, but differs from its single-threaded one.
   */
  static OutputStream open(Compression compression, OutputStream out, int threads)
      throws IOException {
    return open(compression, out, threads, GZIP_LEVEL);
  }

  /** As above with another gzip level: only the benchmark sets one, to measure the levels. */
  static OutputStream open(Compression compression, OutputStream out, int threads, int gzipLevel)
      throws IOException {
    OutputStream kept = new NonClosingOutputStream(out);
    return switch (compression) {
      case gzip -> new ParallelGzipOutputStream(kept, gzipLevel, threads);
      case zstd -> {
        ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(kept, ZSTD_LEVEL);
        z.setChecksum(true);
        z.setWorkers(Math.max(1, threads));
        // Only close() ends a frame: flushes would add block boundaries that depend on the caller.
        z.setCloseFrameOnFlush(false);
        yield new BufferedOutputStream(z, 1 << 16) {
          @Override
          public void flush() {}

          @Override
          public void close() throws IOException {
            if (count > 0) {
              z.write(buf, 0, count);
              count = 0;
            }
            z.close();
          }
        };
      }
      case none -> new BufferedOutputStream(kept, 1 << 16);
    };
  }
}

package dev.lamina.assemble;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Opens a layer blob whatever its compression, told by its magic bytes rather than a media type.
 */
enum Decompression {
  GZIP,
  ZSTD,
  NONE;

  private static final int BUFFER = 1 << 16;

  /** The compression of a stream that supports mark/reset; the stream is left where it was. */
  static Decompression detect(InputStream in) throws IOException {
    in.mark(4);
    byte[] m = in.readNBytes(4);
    in.reset();
    if (m.length >= 2 && (m[0] & 0xFF) == 0x1F && (m[1] & 0xFF) == 0x8B) {
      return GZIP;
    }
    if (m.length == 4
        && (m[0] & 0xFF) == 0x28
        && (m[1] & 0xFF) == 0xB5
        && (m[2] & 0xFF) == 0x2F
        && (m[3] & 0xFF) == 0xFD) {
      return ZSTD;
    }
    return NONE;
  }

  /** The uncompressed stream over {@code in}; closing it closes {@code in}. */
  InputStream open(InputStream in) throws IOException {
    return switch (this) {
      case GZIP -> new GZIPInputStream(in, BUFFER);
      case ZSTD -> new BufferedInputStream(new ZstdInputStreamNoFinalizer(in), BUFFER);
      case NONE -> in;
    };
  }

  static BufferedInputStream buffered(InputStream raw) {
    return new BufferedInputStream(raw, BUFFER);
  }

  String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}

package dev.lamina.assemble;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The union fed with layer blobs as a registry could serve them: gzip, zstd or plain tar, one to
 * three blobs in order (split at {@link FuzzSeeds#BLOB_SEPARATOR}), then read back through {@link
 * LayerUnion#entries()} and {@link LayerUnion#openFile}. Every input is a union or an {@link
 * AssemblyException} with a reason.
 */
class LayerUnionFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void unionsEveryLayerOrSaysWhy(byte[] blobs) throws IOException {
    List<byte[]> parts = FuzzSeeds.split(blobs);
    try (LayerUnion union =
        new LayerUnion(
            List.of(new LayerSource("fuzz", FuzzSeeds.suppliers(parts))),
            FuzzSeeds.tempDir(),
            0,
            1)) {
      for (LayerUnion.Entry e : union.entries()) {
        if (e.inode().type == TarReader.REGULAR) {
          try (InputStream in = union.openFile("fuzzed file", LayerUnion.utf8(e.path()))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
          } catch (AssemblyException notFound) {
            // A name that is not valid UTF-8 does not survive utf8() and is not found: fine.
            FuzzSeeds.assertReason(notFound);
          }
        }
      }
    } catch (AssemblyException e) {
      FuzzSeeds.assertReason(e);
    }
  }
}

package dev.lamina.assemble;

import dev.lamina.oci.IoSupplier;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One layer (an OCI image) as the union sees it: a name for messages and its filesystem blobs (tar,
 * gzip or zstd), applied in order.
 */
public record LayerSource(String name, List<IoSupplier<InputStream>> blobs) {
  public LayerSource {
    blobs = List.copyOf(blobs);
  }

  /** A layer whose blobs are files on disk. */
  public static LayerSource ofFiles(String name, Path... files) {
    return new LayerSource(
        name,
        Arrays.stream(files)
            .<IoSupplier<InputStream>>map(f -> () -> Files.newInputStream(f))
            .toList());
  }
}

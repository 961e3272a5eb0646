package dev.lamina.assemble;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Compression;
import dev.lamina.api.FileSpec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assembles local layer blobs into an initrd and/or rootfs tar, without a registry; used by the
 * benchmark and the reproducibility test.
 *
 * <pre>
 * java -cp lamina.jar dev.lamina.assemble.AssembleMain [--initrd FILE] [--rootfs FILE]
 *     [--compression gzip|zstd|none] [--epoch SECONDS] [--files FILES.json] [--threads N]
 *     [--gzip-level N] NAME=BLOB[,BLOB...]...
 * </pre>
 *
 * {@code --gzip-level} is for measuring the levels only: {@code lamina build} always writes {@link
 * Compressors#GZIP_LEVEL}, which the output-format version stands for.
 */
public final class AssembleMain {
  private AssembleMain() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (AssemblyException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    } catch (IOException e) {
      System.err.println("error: " + e);
      System.exit(1);
    }
  }

  static void run(String[] args) throws IOException {
    Path initrd = null;
    Path rootfs = null;
    Path files = null;
    Compression compression = Compression.gzip;
    long epoch = 0;
    int threads = Runtime.getRuntime().availableProcessors();
    int gzipLevel = Compressors.GZIP_LEVEL;
    List<LayerSource> layers = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--initrd" -> initrd = Path.of(value(args, ++i, a));
        case "--rootfs" -> rootfs = Path.of(value(args, ++i, a));
        case "--files" -> files = Path.of(value(args, ++i, a));
        case "--compression" -> compression = Compression.valueOf(value(args, ++i, a));
        case "--epoch" -> epoch = Long.parseLong(value(args, ++i, a));
        case "--threads" -> threads = Integer.parseInt(value(args, ++i, a));
        case "--gzip-level" -> gzipLevel = Integer.parseInt(value(args, ++i, a));
        default -> {
          int eq = a.indexOf('=');
          if (a.startsWith("-") || eq <= 0) {
            throw new IllegalArgumentException("unknown argument " + a);
          }
          Path[] blobs =
              Arrays.stream(a.substring(eq + 1).split(",")).map(Path::of).toArray(Path[]::new);
          layers.add(LayerSource.ofFiles(a.substring(0, eq), blobs));
        }
      }
    }
    if (initrd == null && rootfs == null) {
      throw new IllegalArgumentException("nothing to write: give --initrd and/or --rootfs");
    }
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long start = System.nanoTime();
    try (LayerUnion union = new LayerUnion(layers, tmp, epoch, threads)) {
      if (files != null) {
        union.addFiles(
            new ObjectMapper().readValue(files.toFile(), new TypeReference<List<FileSpec>>() {}));
      }
      long unioned = System.nanoTime();
      if (initrd != null) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(initrd), 1 << 16)) {
          new InitrdWriter(compression, threads, InitrdWriter.NEWC_MAX, gzipLevel)
              .write(union, out);
        }
      }
      if (rootfs != null) {
        try (OutputStream out = Files.newOutputStream(rootfs)) {
          new RootfsTarWriter().write(union, out);
        }
      }
      System.err.printf(
          "union %d ms, write %d ms, %d overlaps%n",
          (unioned - start) / 1_000_000,
          (System.nanoTime() - unioned) / 1_000_000,
          union.overlapCount());
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }
}

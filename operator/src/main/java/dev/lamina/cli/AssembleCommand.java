package dev.lamina.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Compression;
import dev.lamina.api.FileSpec;
import dev.lamina.assemble.AssemblyException;
import dev.lamina.assemble.InitrdWriter;
import dev.lamina.assemble.LayerSource;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.assemble.RootfsTarWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Assembles local layer blobs into an initrd and/or rootfs tar, without a registry or a plan.
 * Hidden: the assembly benchmark and the reproducibility test run it to time and compare the
 * assembler alone.
 */
@Command(
    name = "assemble",
    hidden = true,
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Assembles local layer blobs (tar, gzip or zstd) into an initrd and/or a rootfs tar.",
      "Exit code: 0 written, 1 failed, 2 bad input."
    })
public final class AssembleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--initrd", paramLabel = "FILE", description = "Write the initrd here.")
  Path initrd;

  @Option(names = "--rootfs", paramLabel = "FILE", description = "Write the rootfs tar here.")
  Path rootfs;

  @Option(
      names = "--files",
      paramLabel = "FILES.json",
      description = "spec.files entries (a JSON list) added on top of the layers.")
  Path files;

  @Option(
      names = "--compression",
      defaultValue = "gzip",
      description = "Initrd compression: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Compression compression;

  @Option(
      names = "--epoch",
      defaultValue = "0",
      paramLabel = "SECONDS",
      description = "Time stamped on entries the union makes up (default: ${DEFAULT-VALUE}).")
  long epoch;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Threads that read layers and compress (default: the number of cores).")
  Integer threads;

  @Option(
      names = "--gzip-level",
      paramLabel = "N",
      description =
          "zlib level, for measuring the levels only: builds always write level "
              + InitrdWriter.GZIP_LEVEL
              + ".")
  int gzipLevel = InitrdWriter.GZIP_LEVEL;

  @Parameters(
      paramLabel = "NAME=BLOB[,BLOB...]",
      description = "A layer and its blobs, lowest layer first.")
  List<String> layerArgs = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    List<LayerSource> layers = new ArrayList<>();
    for (String a : layerArgs) {
      int eq = a.indexOf('=');
      if (eq <= 0) {
        err.println("lamina assemble: layer \"" + a + "\" is not NAME=BLOB[,BLOB...]");
        return 2;
      }
      Path[] blobs =
          Arrays.stream(a.substring(eq + 1).split(",")).map(Path::of).toArray(Path[]::new);
      layers.add(LayerSource.ofFiles(a.substring(0, eq), blobs));
    }
    if (initrd == null && rootfs == null) {
      err.println("lamina assemble: nothing to write: give --initrd and/or --rootfs");
      return 2;
    }
    int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    try {
      assemble(layers, n, err);
      return 0;
    } catch (AssemblyException e) {
      err.println("lamina assemble: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("lamina assemble: " + e);
      return 1;
    }
  }

  private void assemble(List<LayerSource> layers, int n, PrintWriter err) throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long start = System.nanoTime();
    try (LayerUnion union = new LayerUnion(layers, tmp, epoch, n)) {
      if (files != null) {
        union.addFiles(
            new ObjectMapper().readValue(files.toFile(), new TypeReference<List<FileSpec>>() {}));
      }
      long unioned = System.nanoTime();
      if (initrd != null) {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(initrd), 1 << 16)) {
          new InitrdWriter(compression, n, gzipLevel).write(union, out);
        }
      }
      if (rootfs != null) {
        try (OutputStream out = Files.newOutputStream(rootfs)) {
          new RootfsTarWriter().write(union, out);
        }
      }
      err.printf(
          "union %d ms, write %d ms, %d overlaps%n",
          (unioned - start) / 1_000_000,
          (System.nanoTime() - unioned) / 1_000_000,
          union.overlapCount());
      err.flush();
    }
  }
}

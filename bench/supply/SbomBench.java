import dev.lamina.api.Compression;
import dev.lamina.assemble.InitrdWriter;
import dev.lamina.assemble.LayerSource;
import dev.lamina.assemble.LayerUnion;
import dev.lamina.plan.BuildPlan;
import dev.lamina.supply.Sbom;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the SBOM adds to a build: for the benchmark corpus (bench/assemble) plus a layer holding a
 * real dpkg status database, times the union, the gzip initrd write, and the SBOM (scan of the
 * union + SPDX JSON), ROUNDS times in one JVM, and prints the SBOM's size and package count.
 *
 *   java -cp lamina.jar SbomBench.java ROUNDS OUT_DIR NAME=BLOB[,BLOB…] …
 */
public class SbomBench {
  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[0]);
    Path out = Path.of(args[1]);
    Path tmp = Files.createTempDirectory(out, "spool");
    for (int r = 1; r <= rounds; r++) {
      List<LayerSource> layers = new ArrayList<>();
      Sbom sbom = new Sbom("bench", "amd64", 0);
      for (int i = 2; i < args.length; i++) {
        int eq = args[i].indexOf('=');
        String name = args[i].substring(0, eq);
        Path[] blobs =
            Arrays.stream(args[i].substring(eq + 1).split(",")).map(Path::of).toArray(Path[]::new);
        layers.add(LayerSource.ofFiles(name, blobs));
        sbom.layer(
            "init",
            new BuildPlan.LayerRef(
                name, "bench.example/" + name, "sha256:" + "0".repeat(63) + (i % 10)));
      }
      long t0 = System.nanoTime();
      try (LayerUnion union = new LayerUnion(layers, tmp, 0, 2)) {
        long t1 = System.nanoTime();
        try (OutputStream o =
            new BufferedOutputStream(Files.newOutputStream(out.resolve("initrd.img")), 1 << 16)) {
          new InitrdWriter(Compression.gzip, 2).write(union, o);
        }
        long t2 = System.nanoTime();
        sbom.scan(union);
        byte[] json = sbom.toJson();
        long t3 = System.nanoTime();
        Files.write(out.resolve(Sbom.FILE), json);
        int packages = json.length == 0 ? 0 : new String(json).split("\"SPDXID\"").length - 2;
        System.out.printf(
            "round %d: union %d ms, initrd %d ms, sbom %d ms (%.1f%% of union+initrd),"
                + " sbom %d bytes, %d elements%n",
            r,
            (t1 - t0) / 1_000_000,
            (t2 - t1) / 1_000_000,
            (t3 - t2) / 1_000_000,
            100.0 * (t3 - t2) / (t2 - t0),
            json.length,
            packages);
      }
    }
  }
}

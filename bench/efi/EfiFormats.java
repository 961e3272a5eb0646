import dev.lamina.disk.DiskIds;
import dev.lamina.disk.EfiImages;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Times Lamina's EFI writers on one initrd: the UKI (stub + kernel + initrd), the raw GPT disk, the
 * qcow2 disk and the ISO, each against a plain copy of the same bytes (the floor: reading and
 * writing them once). Prints one line per step: milliseconds (best of ROUNDS) and output bytes.
 *
 *   java -cp lamina.jar bench/efi/EfiFormats.java ARCH STUB KERNEL INITRD WORKDIR [ROUNDS]
 */
public class EfiFormats {
  interface Step {
    void run(Path out) throws Exception;
  }

  public static void main(String[] a) throws Exception {
    String arch = a[0];
    Path stub = Path.of(a[1]);
    Path kernel = Path.of(a[2]);
    Path initrd = Path.of(a[3]);
    Path work = Files.createDirectories(Path.of(a[4]));
    int rounds = a.length > 5 ? Integer.parseInt(a[5]) : 3;
    String console = arch.equals("amd64") ? "console=ttyS0" : "console=ttyAMA0";
    EfiImages efi =
        new EfiImages(
            arch,
            stub,
            "stub",
            kernel,
            "kernel",
            initrd,
            console + " panic=-1",
            "NAME=Lamina\n".getBytes(StandardCharsets.UTF_8),
            new DiskIds("sha256:bench", arch, 0),
            0);
    Path uki = work.resolve("uki.efi");
    efi.writeUki(uki);
    System.out.printf(
        "%s: kernel %d bytes, initrd %d bytes, %d round(s), best of each%n",
        arch, Files.size(kernel), Files.size(initrd), rounds);
    System.out.printf("  %-22s %9s %14s %9s%n", "step", "ms", "bytes", "MB/s");
    time("copy kernel+initrd", rounds, work.resolve("copy"), out -> copy(out, kernel, initrd));
    time("uki", rounds, work.resolve("uki2.efi"), efi::writeUki);
    time("copy uki (floor)", rounds, work.resolve("copy2"), out -> copy(out, uki));
    time("raw-efi (from uki)", rounds, work.resolve("disk.raw"), out -> efi.writeRaw(uki, null, out));
    time("qcow2-efi (from uki)", rounds, work.resolve("disk.qcow2"), out -> efi.writeQcow2(uki, null, out));
    time("iso-efi (from uki)", rounds, work.resolve("disk.iso"), out -> efi.writeIso(uki, out));
  }

  static void copy(Path out, Path... in) throws Exception {
    try (OutputStream o = Files.newOutputStream(out)) {
      for (Path p : in) {
        try (InputStream i = Files.newInputStream(p)) {
          i.transferTo(o);
        }
      }
    }
  }

  static void time(String name, int rounds, Path out, Step step) throws Exception {
    long best = Long.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      Files.deleteIfExists(out);
      long t0 = System.nanoTime();
      step.run(out);
      best = Math.min(best, System.nanoTime() - t0);
    }
    long size = Files.size(out);
    System.out.printf(
        "  %-22s %9.1f %14d %9.1f%n", name, best / 1e6, size, size / 1e6 / (best / 1e9));
    Files.delete(out);
  }
}

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;

/**
 * The Java side of blockbench.c: deflates the same 128 KiB blocks with java.util.zip.Deflater as
 * ParallelGzipOutputStream does (raw deflate, the previous 32 KiB as dictionary, sync flush, the
 * last block finished), on one thread, skipping the blocks that blockbench lists as stored, and
 * prints the thread CPU time of the deflate calls (best of REPEAT) and the deflated bytes.
 *
 *   java bench/deflate/JavaBlocks.java LEVEL INPUT STORED_LIST [REPEAT]
 *
 * STORED_LIST holds one 0/1 per block (blockbench writes it to $STORED_LIST).
 */
public class JavaBlocks {
  static final int BLOCK = 128 * 1024;
  static final int DICT = 32 * 1024;

  public static void main(String[] args) throws Exception {
    int level = Integer.parseInt(args[0]);
    byte[] in = Files.readAllBytes(Path.of(args[1]));
    String flags = Files.readString(Path.of(args[2])).strip();
    int repeat = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    int blocks = Math.max(1, (in.length + BLOCK - 1) / BLOCK);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    byte[] out = new byte[BLOCK + BLOCK / 8 + 1024];
    long best = Long.MAX_VALUE;
    long bytes = 0;
    for (int r = 0; r < repeat; r++) {
      Deflater d = new Deflater(level, true);
      long cpu = 0;
      bytes = 0;
      for (int b = 0; b < blocks; b++) {
        if (flags.charAt(b) == '1') {
          continue;
        }
        int off = b * BLOCK;
        int n = Math.min(BLOCK, in.length - off);
        boolean last = b == blocks - 1;
        long t0 = mx.getCurrentThreadCpuTime();
        d.reset();
        if (b > 0) {
          d.setDictionary(in, off - DICT, DICT);
        }
        d.setInput(in, off, n);
        if (last) {
          d.finish();
          while (!d.finished()) {
            bytes += d.deflate(out, 0, out.length);
          }
        } else {
          int k;
          do {
            k = d.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
            bytes += k;
          } while (k == out.length);
        }
        cpu += mx.getCurrentThreadCpuTime() - t0;
      }
      d.end();
      best = Math.min(best, cpu);
    }
    System.out.printf("java %d deflated_bytes %d cpu_s %.3f%n", level, bytes, best / 1e9);
  }
}

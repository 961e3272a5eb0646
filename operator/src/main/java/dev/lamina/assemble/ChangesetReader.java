package dev.lamina.assemble;

import com.github.luben.zstd.ZstdIOException;
import dev.lamina.oci.IoSupplier;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipException;

/**
 * Reads blobs (gzip, zstd or plain tar) into changes, their file contents spooled and their sizes
 * charged to the spool's meter. Errors name the blob by its label.
 */
final class ChangesetReader {
  /** A blob to read: {@code label} names it in messages, {@code spool} takes its file contents. */
  record Blob(String label, IoSupplier<InputStream> supplier, Spool spool) {}

  /** Takes the changes of each blob, in the order the blobs were given. */
  interface Sink {
    void accept(int index, List<Change> changes) throws IOException;
  }

  private ChangesetReader() {}

  /**
   * Reads {@code blobs} on up to {@code threads} threads and hands each one's changes to {@code
   * sink} in order: applying earlier blobs while later ones are still being read keeps both cores
   * busy. On failure, readers still running are stopped before this returns, so that their spools
   * can be removed.
   */
  static void readInOrder(List<Blob> blobs, int threads, Sink sink) throws IOException {
    if (blobs.isEmpty()) {
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(Math.max(1, threads), blobs.size()),
            r -> {
              Thread t = new Thread(r, "lamina-layer-reader");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<List<Change>>> reads = new ArrayList<>();
      for (Blob blob : blobs) {
        reads.add(pool.submit(() -> read(blob)));
      }
      for (int i = 0; i < blobs.size(); i++) {
        sink.accept(i, await(reads.get(i)));
        reads.set(i, null); // its headers are garbage once applied
      }
    } finally {
      pool.shutdownNow();
      try {
        pool.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads one blob on this thread and seals its spool. */
  static List<Change> read(Blob blob) throws IOException {
    String label = blob.label();
    Spool spool = blob.spool();
    InputStream opened;
    try {
      opened = blob.supplier().get();
    } catch (IOException e) {
      throw new AssemblyException(label + ": cannot open: " + e.getMessage(), e);
    }
    List<Change> changes = new ArrayList<>();
    Decompression format = Decompression.NONE;
    byte[] buffer = new byte[1 << 16];
    try (InputStream raw = Decompression.buffered(opened)) {
      format = Decompression.detect(raw);
      // Decompression and the digest check run a few chunks ahead on their own thread.
      try (InputStream in = new ReadAheadInputStream(format.open(raw))) {
        TarReader tar = new TarReader(in);
        for (TarReader.Header h = tar.next(); h != null; h = tar.next()) {
          spool.meter().entry(h.name(), metadataBytes(h));
          Spool.Content content = null;
          if (h.type() == TarReader.REGULAR && h.size() > 0) {
            content = spool.append(tar.data(), h.size(), buffer);
          }
          changes.add(new Change(h, content));
        }
      }
      spool.seal();
    } catch (Budget.LimitExceededException e) {
      throw e; // names the blob that crossed the limit, which may be another one
    } catch (AssemblyException e) {
      throw new AssemblyException(e.reason(), label + ": " + e.getMessage(), e);
    } catch (EOFException | ZipException | ZstdIOException e) {
      throw new AssemblyException(
          label + ": truncated or corrupt " + format.label() + " stream (" + e.getMessage() + ")",
          e);
    } catch (IOException e) {
      throw new AssemblyException(label + ": read failed: " + e.getMessage(), e);
    }
    return changes;
  }

  private static List<Change> await(Future<List<Change>> read) throws IOException {
    try {
      return read.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof Error error) {
        throw error; // OutOfMemoryError, StackOverflowError: the build reports them by name
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading layers");
    }
  }

  private static long metadataBytes(TarReader.Header h) {
    long n = h.name().length() + h.linkName().length();
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
      n += x.getKey().length() + x.getValue().length;
    }
    return n;
  }
}

package dev.lamina.assemble;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What one build has used of its {@link UnionLimits}, shared by every union of the build and every
 * thread reading a blob. The first blob to cross a limit is the one named: once a limit is crossed,
 * every other reader fails with that same message, so a concurrent reader of an innocent layer is
 * never blamed.
 */
public final class Budget {
  private final UnionLimits limits;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong metadata = new AtomicLong();
  private final AtomicReference<String> crossed = new AtomicReference<>();

  public Budget(UnionLimits limits) {
    this.limits = limits;
  }

  public UnionLimits limits() {
    return limits;
  }

  /** Bytes of file contents spooled so far. */
  public long bytes() {
    return bytes.get();
  }

  /** Entries read so far. */
  public long entries() {
    return entries.get();
  }

  /** The meter of one blob (or tarball, or spec.files); {@code label} names it in messages. */
  Meter meter(String label) {
    return new Meter(label);
  }

  /** Charges one source's use to the budget. */
  final class Meter {
    private final String label;

    private Meter(String label) {
      this.label = label;
    }

    void bytes(long n) throws LimitExceededException {
      check();
      if (bytes.addAndGet(n) > limits.maxUncompressedBytes()) {
        fail(
            "unpacks to more than "
                + UnionLimits.bytes(limits.maxUncompressedBytes())
                + " of file contents, the build's limit (spec.build.limits.maxUncompressedBytes)");
      }
    }

    void entry(String name, long metadataBytes) throws LimitExceededException {
      check();
      if (entries.incrementAndGet() > limits.maxEntries()) {
        fail(
            "has more than "
                + limits.maxEntries()
                + " entries in all, the build's limit (spec.build.limits.maxEntries); at \""
                + LayerUnion.utf8(name)
                + "\"");
      }
      if (metadata.addAndGet(metadataBytes) > limits.maxMetadataBytes()) {
        fail(
            "has more than "
                + UnionLimits.bytes(limits.maxMetadataBytes())
                + " of names, link targets and xattrs in all ("
                + UnionLimits.METADATA_PER_ENTRY
                + " bytes per entry of spec.build.limits.maxEntries); at \""
                + LayerUnion.utf8(name)
                + "\"");
      }
    }

    private void check() throws LimitExceededException {
      String first = crossed.get();
      if (first != null) {
        throw new LimitExceededException(first);
      }
    }

    private void fail(String what) throws LimitExceededException {
      crossed.compareAndSet(null, label + " " + what);
      throw new LimitExceededException(crossed.get());
    }
  }

  /** A build that would unpack more than its limits allow. */
  public static final class LimitExceededException extends AssemblyException {
    LimitExceededException(String message) {
      super(REASON_TOO_LARGE, message);
    }
  }
}

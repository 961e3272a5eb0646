package dev.lamina.assemble;

/**
 * How much one build may unpack: the bytes of file contents spooled to disk (every layer, the
 * kernel layer and its modules tarball included, so a decompression bomb fills no node's disk) and
 * the number of tar entries read. The heap holds a bounded amount of metadata per entry, so {@code
 * maxEntries} also bounds the build's memory: names, link targets and xattrs together may take
 * {@link #METADATA_PER_ENTRY} bytes per allowed entry on average.
 *
 * @param maxUncompressedBytes file contents, in bytes, spooled over the whole build
 * @param maxEntries tar entries read over the whole build, whiteouts and replaced entries included
 */
public record UnionLimits(long maxUncompressedBytes, long maxEntries) {
  /** Average room for an entry's name, link target and xattrs on the heap. */
  public static final int METADATA_PER_ENTRY = 512;

  /** What a build may use when its OSImage says nothing: 4 GiB and 300,000 entries. */
  public static final UnionLimits DEFAULTS = new UnionLimits(4L << 30, 300_000);

  public UnionLimits {
    if (maxUncompressedBytes < 1 || maxEntries < 1) {
      throw new IllegalArgumentException(
          "limits must be positive: "
              + maxUncompressedBytes
              + " bytes, "
              + maxEntries
              + " entries");
    }
  }

  /** Bytes of names, link targets and xattrs the heap may hold over the whole build. */
  public long maxMetadataBytes() {
    return Math.multiplyExact(maxEntries, (long) METADATA_PER_ENTRY);
  }

  /** Each limit at most the one in {@code max}. */
  public UnionLimits atMost(UnionLimits max) {
    return new UnionLimits(
        Math.min(maxUncompressedBytes, max.maxUncompressedBytes),
        Math.min(maxEntries, max.maxEntries));
  }

  /** A byte count as a Kubernetes quantity when it is a whole number of Ki, Mi, Gi or Ti. */
  public static String bytes(long n) {
    String[] units = {"Ti", "Gi", "Mi", "Ki"};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << (10 * (units.length - i));
      if (n >= unit && n % unit == 0) {
        return (n / unit) + units[i];
      }
    }
    return Long.toString(n);
  }
}

package dev.lamina.reconcile;

import dev.lamina.api.ArchitectureStatus;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Overlap;
import java.util.ArrayList;
import java.util.List;

/**
 * What the finished builds of one input found about init layers writing the same path. They are
 * read from status, not from pods, so they outlive the pods that found them.
 *
 * @param listed the listed overlaps of every architecture; null while no build has reported
 * @param count the largest count an architecture reported
 */
record Overlaps(List<Overlap> listed, int count) {
  static final Overlaps NONE = new Overlaps(null, 0);

  /** The overlaps in {@code status} of builds of {@code input}; another input's say nothing. */
  static Overlaps of(OSImageStatus status, String input) {
    return input.equals(status.getInputDigest()) ? of(status.getArchitectures()) : NONE;
  }

  /** The overlaps {@code architectures} report. */
  static Overlaps of(List<ArchitectureStatus> architectures) {
    List<Overlap> listed = null;
    int count = 0;
    for (ArchitectureStatus a :
        architectures == null ? List.<ArchitectureStatus>of() : architectures) {
      if (a.getOverlapCount() == null) {
        continue;
      }
      listed = listed == null ? new ArrayList<>() : listed;
      if (a.getOverlaps() != null) {
        listed.addAll(a.getOverlaps());
      }
      count = Math.max(count, a.getOverlapCount());
    }
    return new Overlaps(listed, count);
  }
}

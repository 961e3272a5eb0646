package dev.lamina.assemble;

/**
 * Where a change comes from, for whiteout scope, overlaps and messages: {@code blob} orders the
 * changesets of one union, {@code source} is the index of the layer, or {@link #NO_SOURCE} for what
 * the union adds itself (a tarball, spec.files).
 */
record Changeset(String layer, int blob, int source) {
  static final int NO_SOURCE = -1;

  /** How messages name where an entry came from. */
  String label() {
    return source == NO_SOURCE ? layer : "layer \"" + layer + "\"";
  }
}

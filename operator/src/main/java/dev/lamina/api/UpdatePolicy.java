package dev.lamina.api;

/** Whether a Layer given by tag follows the tag when it moves. */
public enum UpdatePolicy {
  /** Resolve the tag again every resolve interval; a moved tag gives OSImages a new input. */
  Follow,
  /** Keep the first resolution until the Layer's spec changes. */
  Pin
}

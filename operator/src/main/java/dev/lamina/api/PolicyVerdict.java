package dev.lamina.api;

/** Outcome of a policy evaluation. */
public enum PolicyVerdict {
  Pass,
  Warn,
  Deny
}

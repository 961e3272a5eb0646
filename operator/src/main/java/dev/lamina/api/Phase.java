package dev.lamina.api;

/** Where an OSImage is in its life. */
public enum Phase {
  Pending,
  Blocked,
  Building,
  Ready,
  Failed
}

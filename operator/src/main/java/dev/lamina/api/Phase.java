package dev.lamina.api;

/** Where an OSImage is in its life. */
public enum Phase {
  Pending,
  /** Waiting for a build slot: the cluster-wide limit on build pods at once is reached. */
  Queued,
  Blocked,
  Building,
  Ready,
  Failed
}

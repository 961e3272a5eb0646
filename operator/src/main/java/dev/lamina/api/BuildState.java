package dev.lamina.api;

/** Where one architecture's build is: its pod waiting or running, or the attempt's outcome. */
public enum BuildState {
  /** Waiting for a build slot: the cluster-wide limit on build pods at once is reached. */
  Queued,
  Pending,
  Running,
  Succeeded,
  Failed
}

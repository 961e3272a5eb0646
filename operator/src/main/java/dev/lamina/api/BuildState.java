package dev.lamina.api;

/** Where one architecture's build is: its pod waiting or running, or the attempt's outcome. */
public enum BuildState {
  Pending,
  Running,
  Succeeded,
  Failed
}

package dev.lamina.testing;

/** What one kubectl run returned; {@link #toString()} shows all of it for assertion messages. */
public record KubectlResult(int exitCode, String stdout, String stderr) {
  public boolean succeeded() {
    return exitCode == 0;
  }

  @Override
  public String toString() {
    return "kubectl exited " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
  }
}

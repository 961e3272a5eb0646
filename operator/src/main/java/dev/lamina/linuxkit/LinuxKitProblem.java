package dev.lamina.linuxkit;

/**
 * Something about one key of a linuxkit.yml: an error, or a key Lamina cannot express.
 *
 * @param path the key's path, as {@code services[1].binds.add}; empty for the whole file
 * @param line the line it is on, from 1; 0 when unknown
 * @param message what is wrong or lost, a sentence fragment after the path
 */
public record LinuxKitProblem(String path, int line, String message) {
  @Override
  public String toString() {
    String where = path.isEmpty() ? "" : path;
    if (line > 0) {
      where = where.isEmpty() ? "line " + line : where + " (line " + line + ")";
    }
    return where.isEmpty() ? message : where + ": " + message;
  }
}

package dev.lamina.plan;

/** A build that cannot go on; {@code reason} is a CamelCase word shown in status. */
public final class BuildException extends Exception {
  private final String reason;

  public BuildException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public BuildException(String reason, String message) {
    this(reason, message, null);
  }

  public String reason() {
    return reason;
  }
}

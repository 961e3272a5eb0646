package dev.lamina.assemble;

import java.io.IOException;

/**
 * Bad input to the assembler (a layer, a path, a file spec); the message is one line for users, the
 * reason a CamelCase word for status.
 */
public class AssemblyException extends IOException {
  /** Malformed or unsafe layer content. */
  public static final String REASON_INVALID_LAYER = "InvalidLayer";

  /** An entry whose name the kernel could not unpack (too long, a NUL byte). */
  public static final String REASON_INVALID_ENTRY = "InvalidEntry";

  /** More than the build's limits (bytes, entries, metadata). */
  public static final String REASON_TOO_LARGE = "LayerTooLarge";

  private final String reason;

  public AssemblyException(String message) {
    this(REASON_INVALID_LAYER, message);
  }

  public AssemblyException(String message, Throwable cause) {
    this(REASON_INVALID_LAYER, message, cause);
  }

  public AssemblyException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public AssemblyException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}

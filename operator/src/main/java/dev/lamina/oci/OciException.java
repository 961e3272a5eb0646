package dev.lamina.oci;

import java.io.IOException;

/** A registry or image layout operation failed; the message says what and where. */
public class OciException extends IOException {
  public OciException(String message) {
    super(message);
  }

  public OciException(String message, Throwable cause) {
    super(message, cause);
  }
}

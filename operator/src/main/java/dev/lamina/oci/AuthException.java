package dev.lamina.oci;

/** The registry refused the credentials (or their absence); the message names the registry. */
public class AuthException extends OciException {
  public AuthException(String message) {
    super(message);
  }
}

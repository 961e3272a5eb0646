package dev.lamina.oci;

/** The registry answered 5xx or 429: worth another attempt. */
final class ServerErrorException extends OciException {
  ServerErrorException(String message) {
    super(message);
  }
}

package dev.lamina.oci;

/** Content did not match the digest or size it was fetched by. */
public class DigestMismatchException extends OciException {
  public DigestMismatchException(String message) {
    super(message);
  }
}

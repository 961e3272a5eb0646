package dev.lamina.oci;

/** A manifest, tag, blob or repository does not exist; the message names the reference. */
public class NotFoundException extends OciException {
  public NotFoundException(String message) {
    super(message);
  }
}

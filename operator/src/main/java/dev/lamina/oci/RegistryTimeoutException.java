package dev.lamina.oci;

/**
 * A registry (or a host it redirected to) went silent or ran out of time. Not retried: a registry
 * that sent nothing for the idle timeout is not healthy, and retrying would multiply the wait.
 */
public class RegistryTimeoutException extends OciException {
  public RegistryTimeoutException(String message) {
    super(message);
  }

  public RegistryTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.lamina.supply;

/** A signature, key or attestation that cannot be used; {@code reason} is a CamelCase word. */
public final class SupplyException extends Exception {
  private final String reason;

  public SupplyException(String reason, String message) {
    this(reason, message, null);
  }

  public SupplyException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}

package dev.lamina.logging;

import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxy;
import java.io.IOException;

/**
 * Which logged exceptions are expected in operation, and so get one line, not a stack trace: a
 * registry that refuses, times out or answers an error is the world, not a bug, and the reconcile
 * is retried.
 */
final class Failures {
  private Failures() {}

  static boolean expected(IThrowableProxy proxy) {
    if (!(proxy instanceof ThrowableProxy p)) {
      return false;
    }
    for (Throwable t = p.getThrowable(); t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** The exception and its causes on one line: {@code Type: message; caused by Type: message}. */
  static String oneLine(IThrowableProxy proxy) {
    StringBuilder b = new StringBuilder();
    for (IThrowableProxy t = proxy; t != null; t = t.getCause()) {
      if (b.length() > 0) {
        b.append("; caused by ");
      }
      b.append(t.getClassName());
      if (t.getMessage() != null) {
        b.append(": ").append(t.getMessage().replace('\n', ' ').replace('\r', ' '));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return b.toString();
  }
}

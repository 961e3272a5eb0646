package dev.lamina.logging;

import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.CoreConstants;

/**
 * {@code %failure}: an expected failure (see {@link Failures}) as {@code " (Type: message)"} on the
 * same line; anything else as the usual stack trace on the lines that follow.
 */
public final class FailureConverter extends ThrowableHandlingConverter {
  private final ThrowableProxyConverter stackTrace = new ThrowableProxyConverter();

  @Override
  public void start() {
    stackTrace.setContext(getContext());
    stackTrace.start();
    super.start();
  }

  @Override
  public String convert(ILoggingEvent event) {
    if (event.getThrowableProxy() == null) {
      return "";
    }
    if (Failures.expected(event.getThrowableProxy())) {
      return " (" + Failures.oneLine(event.getThrowableProxy()) + ")";
    }
    return CoreConstants.LINE_SEPARATOR + stackTrace.convert(event);
  }
}

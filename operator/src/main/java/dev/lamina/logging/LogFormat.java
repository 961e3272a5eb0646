package dev.lamina.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * How log lines are written to stderr: {@code text}, the pattern of logback.xml (time, level,
 * logger, the object, the message), or {@code json}, one {@link JsonEncoder} object per line.
 */
public enum LogFormat {
  text,
  json;

  /** Switches the root logger to this format; text is what logback.xml already set up. */
  public void apply() {
    if (this == text || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setName("JSON");
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    root.addAppender(appender);
    root.detachAppender("TEXT");
  }
}

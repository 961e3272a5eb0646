package dev.lamina.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %object}: " Kind namespace/name" of the object being reconciled, or nothing. */
public final class ObjectConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    LogObject o = LogObject.of(event.getMDCPropertyMap());
    if (o == null) {
      return "";
    }
    return o.kind() == null ? " " + o.path() : " " + o.kind() + " " + o.path();
  }
}

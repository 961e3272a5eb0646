package dev.lamina.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One JSON object per line: {@code time} (RFC 3339, UTC), {@code level}, {@code logger}, the
 * object's {@code kind}, {@code namespace} and {@code name} when the line is about one, {@code
 * message}, and {@code error} (one line for an expected failure) or {@code stackTrace}.
 */
public final class JsonEncoder extends EncoderBase<ILoggingEvent> {
  private static final byte[] NONE = new byte[0];
  private final JsonFactory json = new JsonFactory();
  private final ThrowableProxyConverter stackTrace = new ThrowableProxyConverter();

  @Override
  public void start() {
    stackTrace.setContext(getContext());
    stackTrace.start();
    super.start();
  }

  @Override
  public byte[] headerBytes() {
    return NONE;
  }

  @Override
  public byte[] footerBytes() {
    return NONE;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", event.getLoggerName());
      LogObject o = LogObject.of(event.getMDCPropertyMap());
      if (o != null) {
        if (o.kind() != null) {
          g.writeStringField("kind", o.kind());
        }
        if (o.namespace() != null) {
          g.writeStringField("namespace", o.namespace());
        }
        g.writeStringField("name", o.name());
      }
      g.writeStringField("message", event.getFormattedMessage());
      if (event.getThrowableProxy() != null) {
        g.writeStringField("error", Failures.oneLine(event.getThrowableProxy()));
        if (!Failures.expected(event.getThrowableProxy())) {
          g.writeStringField("stackTrace", stackTrace.convert(event));
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }
}

package dev.lamina.assemble;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.Map;

/**
 * PAX extended header records ("LEN KEY=VALUE\n") and the values Lamina reads from them. Values
 * stay bytes: xattrs are binary. {@code last} is the raw name of the entry before, for messages.
 */
final class PaxRecords {
  private PaxRecords() {}

  static String noNul(String key, String value, String last) throws TarReader.InvalidName {
    int nul = value.indexOf('\0');
    if (nul >= 0) {
      // The kernel would read the name only up to the NUL: "etc/passwd\0x" shadows etc/passwd.
      throw new TarReader.InvalidName(
          "PAX "
              + key
              + " \""
              + LayerUnion.utf8(value.substring(0, Math.min(nul, 200)))
              + "\\0"
              + LayerUnion.utf8(value.substring(nul + 1, Math.min(value.length(), nul + 1 + 100)))
              + "\" holds a NUL byte, after \""
              + LayerUnion.utf8(last)
              + "\"");
    }
    return value;
  }

  static void parse(byte[] data, Map<String, byte[]> into, String last)
      throws TarReader.FormatException {
    int pos = 0;
    while (pos < data.length) {
      int space = pos;
      while (space < data.length && data[space] != ' ') {
        space++;
      }
      int len;
      try {
        len = Integer.parseInt(new String(data, pos, space - pos, ISO_8859_1));
      } catch (NumberFormatException e) {
        throw new TarReader.FormatException("malformed PAX header after \"" + last + "\"");
      }
      if (len <= 0 || len > data.length - pos) {
        throw new TarReader.FormatException("malformed PAX header after \"" + last + "\"");
      }
      int end = pos + len;
      int eq = space + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end || data[end - 1] != '\n') {
        throw new TarReader.FormatException("malformed PAX header after \"" + last + "\"");
      }
      String key = new String(data, space + 1, eq - space - 1, ISO_8859_1);
      byte[] value = Arrays.copyOfRange(data, eq + 1, end - 1);
      if (value.length == 0) {
        into.remove(key);
      } else {
        into.put(key, value);
      }
      pos = end;
    }
  }

  static long decimal(String key, String value, String last) throws TarReader.FormatException {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new TarReader.FormatException(
          "bad PAX "
              + key
              + " \""
              + value.substring(0, Math.min(value.length(), 40))
              + (value.length() > 40 ? "…" : "")
              + "\" after \""
              + last
              + "\"");
    }
  }

  /**
   * Whole seconds of a PAX time, rounded down. Only plain decimals of bounded length: exponents
   * ("1e999999") and a million digits would make BigDecimal spin for minutes.
   */
  static long seconds(String value, String last) throws TarReader.FormatException {
    boolean plain = !value.isEmpty() && value.length() <= 40;
    int dots = 0;
    for (int i = 0; plain && i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '.') {
        dots++;
      } else if (!(c >= '0' && c <= '9') && !(i == 0 && c == '-')) {
        plain = false;
      }
    }
    if (!plain || dots > 1) {
      throw new TarReader.FormatException(
          "bad PAX mtime \""
              + value.substring(0, Math.min(value.length(), 40))
              + (value.length() > 40 ? "…" : "")
              + "\" after \""
              + last
              + "\"");
    }
    try {
      return new BigDecimal(value).setScale(0, RoundingMode.FLOOR).longValueExact();
    } catch (ArithmeticException | NumberFormatException e) {
      throw new TarReader.FormatException("bad PAX mtime \"" + value + "\" after \"" + last + "\"");
    }
  }
}

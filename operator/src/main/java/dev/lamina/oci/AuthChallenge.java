package dev.lamina.oci;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A parsed WWW-Authenticate header: the scheme and its parameters (realm, service, scope). */
record AuthChallenge(String scheme, Map<String, String> params) {

  static AuthChallenge parse(String header) {
    String h = header == null ? "" : header.strip();
    int space = h.indexOf(' ');
    String scheme = (space < 0 ? h : h.substring(0, space)).toLowerCase(Locale.ROOT);
    Map<String, String> params = new TreeMap<>();
    int i = space < 0 ? h.length() : space + 1;
    while (i < h.length()) {
      while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
        i++;
      }
      int eq = h.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String key = h.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      StringBuilder value = new StringBuilder();
      i = eq + 1;
      if (i < h.length() && h.charAt(i) == '"') {
        for (i++; i < h.length() && h.charAt(i) != '"'; i++) {
          if (h.charAt(i) == '\\' && i + 1 < h.length()) {
            i++;
          }
          value.append(h.charAt(i));
        }
        i++;
      } else {
        for (; i < h.length() && h.charAt(i) != ','; i++) {
          value.append(h.charAt(i));
        }
      }
      params.put(key, value.toString().strip());
    }
    return new AuthChallenge(scheme, params);
  }

  String param(String name) {
    return params.get(name);
  }
}

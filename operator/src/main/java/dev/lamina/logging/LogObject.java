package dev.lamina.logging;

import java.util.Map;

/**
 * The object a log line is about, from the MDC: JOSDK puts {@code resource.namespace} and {@code
 * resource.name} there for every reconcile, Lamina's reconcilers {@code namespace} and {@code
 * name}.
 */
record LogObject(String kind, String namespace, String name) {

  static LogObject of(Map<String, String> mdc) {
    if (mdc == null || mdc.isEmpty()) {
      return null;
    }
    String name = mdc.getOrDefault("resource.name", mdc.get("name"));
    if (name == null || name.isEmpty()) {
      return null;
    }
    String namespace = mdc.getOrDefault("resource.namespace", mdc.get("namespace"));
    return new LogObject(
        mdc.get("resource.kind"),
        namespace == null || namespace.isEmpty() ? null : namespace,
        name);
  }

  /** {@code namespace/name}, or the name alone for a cluster-scoped object. */
  String path() {
    return namespace == null ? name : namespace + "/" + name;
  }
}

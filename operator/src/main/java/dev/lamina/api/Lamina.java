package dev.lamina.api;

/** Group, version and label keys shared by every Lamina resource and the objects it owns. */
public final class Lamina {
  public static final String GROUP = "lamina.dev";
  public static final String VERSION = "v1alpha1";
  public static final String CATEGORY = "lamina";

  /**
   * Annotation on an OSImage asking for a new build: each new value (a timestamp, a counter) starts
   * one, even after a Failed build; the value handled is recorded in status.
   */
  public static final String REBUILD_ANNOTATION = GROUP + "/rebuild";

  /** Kind-neutral pattern of an OCI reference: registry/name with an optional tag and digest. */
  static final String REPOSITORY =
      "(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?"
          + "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*";

  static final String TAG = ":[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
  static final String DIGEST = "@sha256:[a-f0-9]{64}";

  /** A registry reference with tag and/or digest, or an OCI image layout on disk. */
  public static final String IMAGE_REFERENCE =
      "^("
          + REPOSITORY
          + "("
          + TAG
          + ")?("
          + DIGEST
          + ")?|oci:[^:@]+("
          + TAG
          + "|"
          + DIGEST
          + "))$";

  public static final String REPOSITORY_REFERENCE = "^" + REPOSITORY + "$";

  private Lamina() {}
}

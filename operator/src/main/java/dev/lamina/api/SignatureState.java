package dev.lamina.api;

/** What the registry holds for a Layer's digest in cosign's signature layout. */
public enum SignatureState {
  /** No cosign signature of the digest. */
  Unsigned,
  /** Signed, and no ImagePolicy's spec.trust asks for a key. */
  Signed,
  /** Signed by a key of every ImagePolicy whose spec.trust selects the Layer. */
  Verified,
  /** Signed, but not by a key of some ImagePolicy whose spec.trust selects the Layer. */
  Untrusted
}

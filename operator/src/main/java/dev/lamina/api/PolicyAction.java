package dev.lamina.api;

/** What a rule does when it does not pass. */
public enum PolicyAction {
  Deny,
  Warn,
  Off
}

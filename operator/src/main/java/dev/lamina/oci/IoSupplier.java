package dev.lamina.oci;

import java.io.IOException;

/** Supplies a value, typically a fresh stream, and may fail with an IOException. */
@FunctionalInterface
public interface IoSupplier<T> {
  T get() throws IOException;
}

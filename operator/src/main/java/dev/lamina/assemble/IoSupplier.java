package dev.lamina.assemble;

import java.io.IOException;

/** Supplies a value, typically a fresh stream, and may fail with an I/O error. */
@FunctionalInterface
public interface IoSupplier<T> {
  T get() throws IOException;
}

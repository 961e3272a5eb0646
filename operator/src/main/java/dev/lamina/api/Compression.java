package dev.lamina.api;

/** Compression of the initrd stream. */
public enum Compression {
  gzip,
  zstd,
  none
}

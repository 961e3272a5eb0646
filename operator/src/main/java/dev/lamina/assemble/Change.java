package dev.lamina.assemble;

/** One tar entry of a changeset, its contents (if any) already in a spool. */
record Change(TarReader.Header header, Spool.Content content) {}

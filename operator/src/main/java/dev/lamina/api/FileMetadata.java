package dev.lamina.api;

/**
 * What a file made from the image's own description holds (LinuxKit's {@code metadata}): the
 * OSImage's spec, its Layers pinned by digest, as YAML or JSON.
 */
public enum FileMetadata {
  yaml,
  json
}

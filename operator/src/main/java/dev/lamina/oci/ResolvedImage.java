package dev.lamina.oci;

import java.util.List;
import java.util.Map;

/**
 * What an image reference resolved to for a set of platforms.
 *
 * @param indexDigest digest of the image index the reference pointed at, or null when it pointed
 *     straight at a manifest
 * @param manifests the image manifest chosen for each platform that the image has
 * @param layersSize for each platform present, the sum of its layers' compressed sizes
 * @param missing the requested platforms the image does not have
 */
public record ResolvedImage(
    String indexDigest,
    Map<Platform, Descriptor> manifests,
    Map<Platform, Long> layersSize,
    List<Platform> missing) {}

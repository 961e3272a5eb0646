package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A path that two init layers both write; the upper layer's copy is the one in the image. The union
 * reports it, the build result and the build config carry it, policy judges it, and status lists
 * it.
 *
 * @param path path inside the image
 * @param lower init layer whose copy is overwritten
 * @param upper init layer whose copy wins
 */
public record Overlap(
    @JsonPropertyDescription("Path inside the image.") String path,
    @JsonPropertyDescription("Init layer whose copy is overwritten.") String lower,
    @JsonPropertyDescription("Init layer whose copy wins.") String upper) {}

package dev.lamina.assemble;

/** A path written by two distinct layers: the upper layer's entry replaced the lower one's. */
public record Overlap(String path, String lowerLayer, String upperLayer) {}

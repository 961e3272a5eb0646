package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** An ImagePolicy that was applied, and the generation of it that was read. */
public class AppliedPolicy {
  @JsonPropertyDescription("Name of the ImagePolicy.")
  private String name;

  @JsonPropertyDescription("metadata.generation of the ImagePolicy when it was applied.")
  private Long generation;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public Long getGeneration() {
    return generation;
  }

  public void setGeneration(Long generation) {
    this.generation = generation;
  }
}

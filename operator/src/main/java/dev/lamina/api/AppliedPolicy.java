package dev.lamina.api;

/** An ImagePolicy that was applied, and the generation of it that was read. */
public class AppliedPolicy {
  /** Name of the ImagePolicy. */
  private String name;

  /** metadata.generation of the ImagePolicy when it was applied. */
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

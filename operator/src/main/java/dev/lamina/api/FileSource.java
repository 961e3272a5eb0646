package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where a file's contents come from: a regular file inside a Layer, pulled by digest like every
 * Layer, never a path on the machine that builds, so a build stays hermetic.
 */
public class FileSource {
  @JsonPropertyDescription("Name of the Layer (in this namespace) that holds the file.")
  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @Size(max = 253)
  private String layer;

  @JsonPropertyDescription("Path of the file inside the Layer's union, without '..'.")
  @Required
  @Size(min = 1, max = 4096)
  @ValidationRule(
      value = "!self.matches('(^|/)[.][.](/|$)')",
      message = "path must not contain '..'")
  private String path;

  public FileSource() {}

  public FileSource(String layer, String path) {
    this.layer = layer;
    this.path = path;
  }

  public String getLayer() {
    return layer;
  }

  public void setLayer(String layer) {
    this.layer = layer;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  /**
   * Checks what the CRD checks.
   *
   * @throws IllegalArgumentException naming the field
   */
  public void validate(String field) {
    if (layer == null || layer.isEmpty()) {
      throw new IllegalArgumentException(field + ".layer: is required");
    }
    if (path == null
        || path.isEmpty()
        || path.indexOf('\0') >= 0
        || java.util.regex.Pattern.compile("(^|/)[.][.](/|$)").matcher(path).find()) {
      throw new IllegalArgumentException(
          field + ".path: is required and must be a path in the Layer without '..'");
    }
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * A device node a container may use, as LinuxKit's {@code devices}: it is created in the container
 * and allowed in the devices cgroup. Path {@code all} allows every device of the type without
 * creating one.
 */
public class ContainerDevice {
  @JsonPropertyDescription("Absolute path of the node in the container, or all.")
  @Required
  @Size(max = 4096)
  @Pattern("^all$|" + ContainerSpec.ABSOLUTE_PATH)
  private String path;

  @JsonPropertyDescription("Device type: c (character), b (block), u (unbuffered) or a (all).")
  @Required
  @Pattern("^[cbua]$")
  private String type;

  @JsonPropertyDescription("Major number.")
  private Long major;

  @JsonPropertyDescription("Minor number.")
  private Long minor;

  @JsonPropertyDescription("Permission bits of the node in octal, e.g. \"0666\".")
  @Pattern("^0?[0-7]{3,4}$")
  private String mode;

  /**
   * Checks what the CRD checks.
   *
   * @throws IllegalArgumentException naming the field
   */
  public void validate(String field) {
    if (path == null || !(path.equals("all") || ContainerSpec.absolute(path))) {
      throw new IllegalArgumentException(
          field + ".path: must be all or an absolute path without '..'");
    }
    if (type == null || !type.matches("^[cbua]$")) {
      throw new IllegalArgumentException(field + ".type: must be one of c, b, u, a");
    }
    if (mode != null && !mode.matches("^0?[0-7]{3,4}$")) {
      throw new IllegalArgumentException(
          field + ".mode: " + FileSpec.quote(mode) + " is not an octal mode");
    }
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public Long getMajor() {
    return major;
  }

  public void setMajor(Long major) {
    this.major = major;
  }

  public Long getMinor() {
    return minor;
  }

  public void setMinor(Long minor) {
    this.minor = minor;
  }

  public String getMode() {
    return mode;
  }

  public void setMode(String mode) {
    this.mode = mode;
  }
}

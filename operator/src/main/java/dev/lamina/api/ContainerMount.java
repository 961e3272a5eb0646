package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * A mount of a container, as in the OCI runtime spec and LinuxKit's {@code mounts}: a missing type
 * is taken from the source (proc, sysfs, devpts, cgroup, mqueue) or is tmpfs for /dev; a missing
 * source is the type; a missing destination is the type's usual place (/proc, /sys, /dev/pts,
 * /sys/fs/cgroup, /dev/mqueue).
 */
public class ContainerMount {
  @JsonPropertyDescription(
      "Absolute path inside the container, without '..'; default the type's usual place.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String destination;

  @JsonPropertyDescription("Filesystem type, e.g. bind, tmpfs, proc.")
  @Size(max = 64)
  private String type;

  @JsonPropertyDescription("What is mounted: a device, a path of the image for a bind, or a name.")
  @Size(max = 4096)
  private String source;

  @JsonPropertyDescription("Mount options, e.g. rbind, ro, nosuid.")
  @Size(max = 64)
  private List<@Size(max = 1024) String> options;

  /**
   * Checks what the CRD checks.
   *
   * @throws IllegalArgumentException naming the field
   */
  public void validate(String field) {
    if (destination != null && !ContainerSpec.absolute(destination)) {
      throw new IllegalArgumentException(
          field
              + ".destination: "
              + FileSpec.quote(destination)
              + " must be an absolute path without '..'");
    }
  }

  public String getDestination() {
    return destination;
  }

  public void setDestination(String destination) {
    this.destination = destination;
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public String getSource() {
    return source;
  }

  public void setSource(String source) {
    this.source = source;
  }

  public List<String> getOptions() {
    return options;
  }

  public void setOptions(List<String> options) {
    this.options = options;
  }
}

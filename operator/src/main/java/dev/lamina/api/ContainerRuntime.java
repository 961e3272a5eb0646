package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/**
 * What LinuxKit's service init does around a container, written to its runtime.json: cgroups and
 * directories to make, mounts to make first, interfaces to move in, namespaces to bind.
 */
public class ContainerRuntime {
  @JsonPropertyDescription("Cgroups to create before the container starts.")
  @Size(max = 64)
  private List<@Size(max = 256) String> cgroups;

  @JsonPropertyDescription("Mounts made in the root filesystem before the container starts.")
  @Size(max = 64)
  private List<ContainerMount> mounts;

  @JsonPropertyDescription("Directories created in the root filesystem before it starts.")
  @Size(max = 64)
  private List<@Size(max = 4096) @Pattern(ContainerSpec.ABSOLUTE_PATH) String> mkdir;

  @JsonPropertyDescription("Network interfaces to create or move into the container.")
  @Size(max = 64)
  private List<RuntimeInterface> interfaces;

  @JsonPropertyDescription("Where to bind the container's namespaces once it runs.")
  private BindNamespaces bindNS;

  @JsonPropertyDescription("The containerd namespace the service runs in.")
  @Size(max = 253)
  private String namespace;

  /**
   * Checks what the CRD checks.
   *
   * @throws IllegalArgumentException naming the field
   */
  public void validate(String field) {
    for (int i = 0; mounts != null && i < mounts.size(); i++) {
      mounts.get(i).validate(field + ".mounts[" + i + "]");
    }
    for (int i = 0; mkdir != null && i < mkdir.size(); i++) {
      if (!ContainerSpec.absolute(mkdir.get(i))) {
        throw new IllegalArgumentException(
            field + ".mkdir[" + i + "]: must be an absolute path without '..'");
      }
    }
  }

  public List<String> getCgroups() {
    return cgroups;
  }

  public void setCgroups(List<String> cgroups) {
    this.cgroups = cgroups;
  }

  public List<ContainerMount> getMounts() {
    return mounts;
  }

  public void setMounts(List<ContainerMount> mounts) {
    this.mounts = mounts;
  }

  public List<String> getMkdir() {
    return mkdir;
  }

  public void setMkdir(List<String> mkdir) {
    this.mkdir = mkdir;
  }

  public List<RuntimeInterface> getInterfaces() {
    return interfaces;
  }

  public void setInterfaces(List<RuntimeInterface> interfaces) {
    this.interfaces = interfaces;
  }

  public BindNamespaces getBindNS() {
    return bindNS;
  }

  public void setBindNS(BindNamespaces bindNS) {
    this.bindNS = bindNS;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/**
 * A network interface that LinuxKit's service init creates or moves into the container's network
 * namespace before it starts ({@code runtime.interfaces}); written to runtime.json as it is.
 */
public class RuntimeInterface {
  @JsonPropertyDescription("Name of the interface to move in, or of the one created.")
  @Size(max = 64)
  private String name;

  @JsonPropertyDescription("Kind of interface to create, e.g. veth.")
  @Size(max = 64)
  private String add;

  @JsonPropertyDescription("Name of the peer of a veth pair, left in the root namespace.")
  @Size(max = 64)
  private String peer;

  @JsonPropertyDescription("Create the interface in the root namespace, then move it in.")
  private Boolean createInRoot;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getAdd() {
    return add;
  }

  public void setAdd(String add) {
    this.add = add;
  }

  public String getPeer() {
    return peer;
  }

  public void setPeer(String peer) {
    this.peer = peer;
  }

  public Boolean getCreateInRoot() {
    return createInRoot;
  }

  public void setCreateInRoot(Boolean createInRoot) {
    this.createInRoot = createInRoot;
  }
}

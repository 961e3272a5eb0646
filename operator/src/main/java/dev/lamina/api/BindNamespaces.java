package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/**
 * Paths where LinuxKit's service init bind-mounts the container's namespaces once it runs ({@code
 * runtime.bindNS}), so other containers can join them.
 */
public class BindNamespaces {

  @JsonPropertyDescription("Where to bind the cgroup namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String cgroup;

  @JsonPropertyDescription("Where to bind the IPC namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String ipc;

  @JsonPropertyDescription("Where to bind the mount namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String mnt;

  @JsonPropertyDescription("Where to bind the network namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String net;

  @JsonPropertyDescription("Where to bind the PID namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String pid;

  @JsonPropertyDescription("Where to bind the user namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String user;

  @JsonPropertyDescription("Where to bind the UTS namespace.")
  @Size(max = 4096)
  @Pattern(ContainerSpec.ABSOLUTE_PATH)
  private String uts;

  public String getCgroup() {
    return cgroup;
  }

  public void setCgroup(String cgroup) {
    this.cgroup = cgroup;
  }

  public String getIpc() {
    return ipc;
  }

  public void setIpc(String ipc) {
    this.ipc = ipc;
  }

  public String getMnt() {
    return mnt;
  }

  public void setMnt(String mnt) {
    this.mnt = mnt;
  }

  public String getNet() {
    return net;
  }

  public void setNet(String net) {
    this.net = net;
  }

  public String getPid() {
    return pid;
  }

  public void setPid(String pid) {
    this.pid = pid;
  }

  public String getUser() {
    return user;
  }

  public void setUser(String user) {
    this.user = user;
  }

  public String getUts() {
    return uts;
  }

  public void setUts(String uts) {
    this.uts = uts;
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Which Layer holds the kernel, where in it, and the command line the kernel boots with. */
public class KernelSpec {
  @JsonPropertyDescription(
      "Name of the Layer (in this namespace) that holds the kernel binary and its modules.")
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @Size(max = 253)
  private String layer;

  @JsonPropertyDescription("Kernel command line.")
  @Size(max = 4096)
  private String cmdline;

  @JsonPropertyDescription("Path of the kernel binary inside the kernel layer; default kernel.")
  @Size(max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "binary must be a relative path without '..'")
  private String binary;

  @JsonPropertyDescription(
      "Path of the modules tarball inside the kernel layer, unpacked into the rootfs; default kernel.tar.")
  @Size(max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "modules must be a relative path without '..'")
  private String modules;

  @JsonPropertyDescription(
      "Path of a CPU microcode cpio archive inside the kernel layer, put uncompressed in front of"
          + " the initrd so the kernel loads it early (LinuxKit's ucode); default none.")
  @Size(max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "ucode must be a relative path without '..'")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private String ucode;

  public String getLayer() {
    return layer;
  }

  public void setLayer(String layer) {
    this.layer = layer;
  }

  public String getCmdline() {
    return cmdline;
  }

  public void setCmdline(String cmdline) {
    this.cmdline = cmdline;
  }

  public String getBinary() {
    return binary;
  }

  public void setBinary(String binary) {
    this.binary = binary;
  }

  public String effectiveBinary() {
    return binary == null || binary.isEmpty() ? "kernel" : binary;
  }

  public String getModules() {
    return modules;
  }

  public void setModules(String modules) {
    this.modules = modules;
  }

  public String effectiveModules() {
    return modules == null || modules.isEmpty() ? "kernel.tar" : modules;
  }

  public String getUcode() {
    return ucode;
  }

  public void setUcode(String ucode) {
    this.ucode = ucode;
  }
}

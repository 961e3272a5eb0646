package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the UKI's EFI stub is: a Layer in this namespace and a path in it. */
public class StubSpec {
  @JsonPropertyDescription(
      "Name of the Layer (in this namespace) holding the stub, e.g. one made from systemd-boot-efi.")
  @Required
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  @Size(max = 253)
  private String layer;

  @JsonPropertyDescription(
      "Path of the stub in that Layer; default usr/lib/systemd/boot/efi/linuxx64.efi.stub for"
          + " amd64 and usr/lib/systemd/boot/efi/linuxaa64.efi.stub for arm64 (where Debian's"
          + " systemd-boot-efi puts them).")
  @Size(max = 4096)
  @ValidationRule(
      value = "!self.startsWith('/') && !self.matches('(^|/)[.][.](/|$)')",
      message = "path must be a relative path without '..'")
  private String path;

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

  /** The path of the stub for {@code arch}: the given one, or systemd-boot-efi's. */
  public String effectivePath(String arch) {
    if (path != null && !path.isEmpty()) {
      return path;
    }
    return "usr/lib/systemd/boot/efi/linux" + (arch.equals("arm64") ? "aa64" : "x64") + ".efi.stub";
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** How the EFI formats (uki, raw-efi, qcow2-efi, iso-efi) make their Unified Kernel Image. */
public class UkiSpec {
  @JsonPropertyDescription(
      "The EFI stub the UKI is built on, taken from a Layer so it is pinned and policy-checked.")
  @Required
  private StubSpec stub;

  public StubSpec getStub() {
    return stub;
  }

  public void setStub(StubSpec stub) {
    this.stub = stub;
  }
}

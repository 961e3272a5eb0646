package dev.lamina.api;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** What to assemble: architectures, kernel, init layers, extra files, formats and destination. */
@ValidationRule(
    value =
        "(has(self.formats) && !self.formats.exists(f, f == 'kernel+initrd'))"
            + " || (has(self.kernel) && has(self.kernel.layer))",
    message = "kernel.layer is required when the kernel+initrd format is built",
    fieldPath = ".kernel",
    reason = "FieldValueRequired")
@ValidationRule(
    value = "!has(self.sourceDateEpoch) || self.sourceDateEpoch >= 0",
    message = "sourceDateEpoch must not be negative",
    fieldPath = ".sourceDateEpoch")
public class OSImageSpec {
  /** Architectures to build, one build pod each. */
  @Required
  @Size(min = 1, max = 2)
  @ValidationRule(
      value = "self.all(a, self.exists_one(b, b == a))",
      message = "architectures must be unique")
  private List<Architecture> architectures;

  /** The kernel: which Layer holds it, where in that Layer, and its command line. */
  private KernelSpec kernel;

  /** Names of Layers in this namespace, unioned in order into the root filesystem; later wins. */
  @Size(max = 64)
  private List<String> init;

  /** Files, directories and symlinks added on top of the union. */
  @Size(max = 256)
  private List<FileSpec> files;

  /** Artifacts to build; default kernel+initrd. */
  @Size(min = 1, max = 2)
  private List<OutputFormat> formats;

  /** Compression of the initrd; default gzip. */
  private Compression compression;

  /** Registry repository the artifacts are pushed to. */
  private OutputSpec output;

  /** Seconds since the epoch stamped on generated entries; default 0. */
  @Min(0)
  private Long sourceDateEpoch;

  /** How build pods run. */
  private BuildSpec build;

  public List<Architecture> getArchitectures() {
    return architectures;
  }

  public void setArchitectures(List<Architecture> architectures) {
    this.architectures = architectures;
  }

  public KernelSpec getKernel() {
    return kernel;
  }

  public void setKernel(KernelSpec kernel) {
    this.kernel = kernel;
  }

  public List<String> getInit() {
    return init;
  }

  public void setInit(List<String> init) {
    this.init = init;
  }

  /** The Layer names this image uses: its kernel layer first, then its init layers, each once. */
  public List<String> layerNames() {
    List<String> names = new ArrayList<>();
    if (kernel != null && kernel.getLayer() != null) {
      names.add(kernel.getLayer());
    }
    if (init != null) {
      for (String n : init) {
        if (!names.contains(n)) {
          names.add(n);
        }
      }
    }
    return names;
  }

  public List<FileSpec> getFiles() {
    return files;
  }

  public void setFiles(List<FileSpec> files) {
    this.files = files;
  }

  public List<OutputFormat> getFormats() {
    return formats;
  }

  public void setFormats(List<OutputFormat> formats) {
    this.formats = formats;
  }

  /** The formats asked for, or the default. */
  public List<OutputFormat> effectiveFormats() {
    return formats == null || formats.isEmpty() ? List.of(OutputFormat.KERNEL_INITRD) : formats;
  }

  public Compression getCompression() {
    return compression;
  }

  public void setCompression(Compression compression) {
    this.compression = compression;
  }

  public Compression effectiveCompression() {
    return compression == null ? Compression.gzip : compression;
  }

  public OutputSpec getOutput() {
    return output;
  }

  public void setOutput(OutputSpec output) {
    this.output = output;
  }

  public Long getSourceDateEpoch() {
    return sourceDateEpoch;
  }

  public void setSourceDateEpoch(Long sourceDateEpoch) {
    this.sourceDateEpoch = sourceDateEpoch;
  }

  public long effectiveSourceDateEpoch() {
    return sourceDateEpoch == null ? 0L : sourceDateEpoch;
  }

  public BuildSpec getBuild() {
    return build;
  }

  public void setBuild(BuildSpec build) {
    this.build = build;
  }
}

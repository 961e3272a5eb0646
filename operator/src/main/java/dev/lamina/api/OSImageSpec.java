package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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
    value =
        "!has(self.formats) || !self.formats.exists(f, f in ['uki', 'raw-efi', 'qcow2-efi',"
            + " 'iso-efi']) || (has(self.kernel) && has(self.kernel.layer))",
    message = "kernel.layer is required when an EFI format is built",
    fieldPath = ".kernel",
    reason = "FieldValueRequired")
@ValidationRule(
    value = "!has(self.sourceDateEpoch) || self.sourceDateEpoch >= 0",
    message = "sourceDateEpoch must not be negative",
    fieldPath = ".sourceDateEpoch")
@ValidationRule(
    value = OSImageSpec.NAMES + ".all(n, " + OSImageSpec.NAMES + ".exists_one(m, m == n))",
    messageExpression =
        "'container name ' + "
            + OSImageSpec.NAMES
            + ".filter(n, !"
            + OSImageSpec.NAMES
            + ".exists_one(m, m == n))[0] + ' is used more than once: names must be unique across"
            + " onboot, onshutdown and services'")
@ValidationRule(
    value = "!has(self.onboot) || self.onboot.all(c, " + OSImageSpec.CONTAINER_IDS_OK + ")",
    message = OSImageSpec.IDS_MESSAGE,
    fieldPath = ".onboot")
@ValidationRule(
    value = "!has(self.onshutdown) || self.onshutdown.all(c, " + OSImageSpec.CONTAINER_IDS_OK + ")",
    message = OSImageSpec.IDS_MESSAGE,
    fieldPath = ".onshutdown")
@ValidationRule(
    value = "!has(self.services) || self.services.all(c, " + OSImageSpec.CONTAINER_IDS_OK + ")",
    message = OSImageSpec.IDS_MESSAGE,
    fieldPath = ".services")
@ValidationRule(
    value =
        "!has(self.files) || self.files.all(c, "
            + OSImageSpec.ID_OK_UID
            + " && "
            + OSImageSpec.ID_OK_GID
            + ")",
    message = OSImageSpec.IDS_MESSAGE,
    fieldPath = ".files")
public class OSImageSpec {
  /** CEL: the names of all containers, onboot then onshutdown then services. */
  static final String NAMES =
      "((has(self.onboot) ? self.onboot.map(c, c.name) : [])"
          + " + (has(self.onshutdown) ? self.onshutdown.map(c, c.name) : [])"
          + " + (has(self.services) ? self.services.map(c, c.name) : []))";

  static final String ID_OK_UID =
      "(!has(c.uid) || (type(c.uid) == int ? (c.uid >= 0 && c.uid <= 4294967294)"
          + " : (c.uid in ['', 'root'] || c.uid in "
          + NAMES
          + ")))";
  static final String ID_OK_GID =
      "(!has(c.gid) || (type(c.gid) == int ? (c.gid >= 0 && c.gid <= 4294967294)"
          + " : (c.gid in ['', 'root'] || c.gid in "
          + NAMES
          + ")))";
  static final String CONTAINER_IDS_OK =
      ID_OK_UID
          + " && "
          + ID_OK_GID
          + " && (!has(c.additionalGids) || c.additionalGids.all(g, type(g) == int"
          + " ? (g >= 0 && g <= 4294967294) : (g in ['', 'root'] || g in "
          + NAMES
          + ")))";
  static final String IDS_MESSAGE =
      "uid, gid and additionalGids must each be a number from 0 to 4294967294, root, or the name"
          + " of one of this image's containers (onboot, onshutdown, services)";

  @JsonPropertyDescription("Architectures to build, one build pod each.")
  @Required
  @Size(min = 1, max = 2)
  @ValidationRule(
      value = "self.all(a, self.exists_one(b, b == a))",
      message = "architectures must be unique")
  private List<Architecture> architectures;

  @JsonPropertyDescription(
      "The kernel: which Layer holds it, where in that Layer, and its command line.")
  private KernelSpec kernel;

  @JsonPropertyDescription(
      "Names of Layers in this namespace, unioned in order into the root filesystem; later wins.")
  @Size(max = 64)
  private List<String> init;

  @JsonPropertyDescription("Files, directories and symlinks added on top of the union.")
  @Size(max = 256)
  private List<FileSpec> files;

  @JsonPropertyDescription(
      "Containers run once at boot, in order, each to completion, before the services"
          + " (LinuxKit's onboot); written to containers/onboot/NNN-name.")
  @Size(max = 64)
  private List<ContainerSpec> onboot;

  @JsonPropertyDescription(
      "Containers run in order at shutdown (LinuxKit's onshutdown); written to"
          + " containers/onshutdown/NNN-name.")
  @Size(max = 64)
  private List<ContainerSpec> onshutdown;

  @JsonPropertyDescription(
      "Long-running containers started after the onboot ones (LinuxKit's services); written to"
          + " containers/services/name.")
  @Size(max = 64)
  private List<ContainerSpec> services;

  @JsonPropertyDescription("Artifacts to build; default kernel+initrd.")
  @Size(min = 1, max = 6)
  @ValidationRule(
      value = "self.all(a, self.exists_one(b, b == a))",
      message = "formats must be unique")
  private List<OutputFormat> formats;

  @JsonPropertyDescription(
      "The EFI stub of the UKI that the EFI formats (uki, raw-efi, qcow2-efi, iso-efi) are built on.")
  private UkiSpec uki;

  @JsonPropertyDescription("The disk of the raw-efi and qcow2-efi formats.")
  private DiskSpec disk;

  @JsonPropertyDescription("Compression of the initrd; default gzip.")
  private Compression compression;

  @JsonPropertyDescription("Registry repository the artifacts are pushed to.")
  private OutputSpec output;

  @JsonPropertyDescription("Seconds since the epoch stamped on generated entries; default 0.")
  @Min(0)
  private Long sourceDateEpoch;

  @JsonPropertyDescription("How build pods run.")
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

  /**
   * The Layer names this image uses, each once: its kernel layer first, then its init layers in
   * order, then the stub Layer of its EFI formats, then the Layers of its containers (onboot,
   * onshutdown, services, in order), then the Layers its files take contents from.
   */
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
    String stub = stubLayer();
    if (stub != null && !names.contains(stub)) {
      names.add(stub);
    }
    for (ContainerSpec c : containers()) {
      if (c.getLayer() != null && !names.contains(c.getLayer())) {
        names.add(c.getLayer());
      }
    }
    for (FileSpec f : files == null ? List.<FileSpec>of() : files) {
      if (f != null && f.getSource() != null) {
        String l = f.getSource().getLayer();
        if (l != null && !names.contains(l)) {
          names.add(l);
        }
      }
    }
    return names;
  }

  /** Every container: onboot, then onshutdown, then services, each in order. */
  public List<ContainerSpec> containers() {
    List<ContainerSpec> all = new ArrayList<>();
    for (List<ContainerSpec> section : java.util.Arrays.asList(onboot, onshutdown, services)) {
      if (section != null) {
        section.stream().filter(java.util.Objects::nonNull).forEach(all::add);
      }
    }
    return all;
  }

  /** The stub Layer of the EFI formats, or null when none is built or none is named. */
  public String stubLayer() {
    if (!hasEfiFormat() || uki == null || uki.getStub() == null) {
      return null;
    }
    return uki.getStub().getLayer();
  }

  public List<ContainerSpec> getOnboot() {
    return onboot;
  }

  public void setOnboot(List<ContainerSpec> onboot) {
    this.onboot = onboot;
  }

  public List<ContainerSpec> getOnshutdown() {
    return onshutdown;
  }

  public void setOnshutdown(List<ContainerSpec> onshutdown) {
    this.onshutdown = onshutdown;
  }

  public List<ContainerSpec> getServices() {
    return services;
  }

  public void setServices(List<ContainerSpec> services) {
    this.services = services;
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

  public UkiSpec getUki() {
    return uki;
  }

  public void setUki(UkiSpec uki) {
    this.uki = uki;
  }

  public DiskSpec getDisk() {
    return disk;
  }

  public void setDisk(DiskSpec disk) {
    this.disk = disk;
  }

  /** Whether any format asked for is built from a UKI. */
  public boolean hasEfiFormat() {
    return effectiveFormats().stream().anyMatch(OutputFormat::efi);
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

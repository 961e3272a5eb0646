package dev.lamina.policy;

import dev.lamina.api.PolicyAction;
import java.util.Optional;

/** The rules Lamina checks without any ImagePolicy; an ImagePolicy can change their action. */
public enum BuiltInRule {
  IMAGE_PINNED(
      "LMN001",
      PolicyAction.Warn,
      true,
      false,
      "Layer image is pinned by digest",
      "A tag can move; only a digest guarantees every build pulls the same bytes."),
  REGISTRY_ALLOWED(
      "LMN002",
      PolicyAction.Deny,
      true,
      false,
      "Layer image comes from an allowed registry (allowedRegistries)",
      "Content from an unvetted registry ends up in the boot path of every machine."),
  PLATFORMS_AVAILABLE(
      "LMN003",
      PolicyAction.Deny,
      true,
      true,
      "Every requested architecture is available in every layer",
      "A missing platform fails the build of that architecture late, after other work is done."),
  CMDLINE_FORBIDDEN(
      "LMN004",
      PolicyAction.Deny,
      false,
      true,
      "Kernel command line has no forbidden parameter (forbiddenCmdline)",
      "Parameters such as init=/bin/sh or rd.break give a root shell to whoever sees the console."),
  FILE_WORLD_WRITABLE(
      "LMN005",
      PolicyAction.Deny,
      false,
      true,
      "No entry of spec.files is world-writable",
      "Any user on the machine could change a file the image ships."),
  FILE_SETUID(
      "LMN006",
      PolicyAction.Deny,
      false,
      true,
      "No file of spec.files is setuid or setgid",
      "A setuid file added outside the layers' review is a privilege escalation path."),
  OUTPUT_REPOSITORY_ALLOWED(
      "LMN007",
      PolicyAction.Deny,
      false,
      true,
      "Output repository is in an allowed list (allowedOutputRepositories)",
      "Images pushed elsewhere escape the registry that machines are provisioned from."),
  LAYER_SIZE(
      "LMN008",
      PolicyAction.Deny,
      true,
      true,
      "Compressed size of the layers of one architecture is under maxLayerBytes",
      "Initrds are held in memory at boot; oversized layers fail to boot or waste bandwidth."),
  INIT_LAYER_OVERLAP(
      "LMN009",
      PolicyAction.Warn,
      false,
      true,
      "No path is written by two init layers",
      "When two layers ship the same file, only the order of spec.init decides which one boots."),
  EFI_STUB_PINNED(
      "LMN010",
      PolicyAction.Deny,
      false,
      true,
      "The EFI stub's Layer (spec.uki.stub.layer) is pinned by digest",
      "The stub is the first code the firmware runs; a moving tag could swap it between builds."),
  EFI_STUB_PRESENT(
      "LMN011",
      PolicyAction.Deny,
      false,
      true,
      "An EFI format (uki, raw-efi, qcow2-efi, iso-efi) names its stub (spec.uki.stub.layer)",
      "Without a stub there is no UKI: the build could only fail, after pulling every layer."),
  LAYER_SIGNED(
      "LMN012",
      PolicyAction.Warn,
      true,
      false,
      "Layer image carries a cosign signature",
      "An unsigned image carries no one's statement that they built or vetted it."),
  OUTPUT_SIGNED(
      "LMN013",
      PolicyAction.Off,
      false,
      true,
      "OSImage signs what it pushes (spec.output.signing)",
      "Machines and admission controllers can only check images that carry a signature."),
  LAYER_TRUSTED(
      "LMN014",
      PolicyAction.Deny,
      true,
      false,
      "Layer image is signed by a key of the policy's spec.trust",
      "A digest signed by a known key is one its owner vouched for; anything else may be swapped."),
  CONTAINER_SYS_ADMIN(
      "LMN015",
      PolicyAction.Warn,
      false,
      true,
      "No container is given CAP_SYS_ADMIN (or all capabilities)",
      "CAP_SYS_ADMIN is close to root on the host: it mounts, remounts and escapes most confinement."),
  CONTAINER_HOST_NAMESPACE(
      "LMN016",
      PolicyAction.Warn,
      false,
      true,
      "No container asks for the host's net, pid, ipc or uts namespace",
      "A container in the host's namespaces sees and can signal or reconfigure everything else.");

  private final String id;
  private final PolicyAction defaultAction;
  private final boolean appliesToLayer;
  private final boolean appliesToOSImage;
  private final String title;
  private final String rationale;

  BuiltInRule(
      String id,
      PolicyAction defaultAction,
      boolean appliesToLayer,
      boolean appliesToOSImage,
      String title,
      String rationale) {
    this.id = id;
    this.defaultAction = defaultAction;
    this.appliesToLayer = appliesToLayer;
    this.appliesToOSImage = appliesToOSImage;
    this.title = title;
    this.rationale = rationale;
  }

  public String id() {
    return id;
  }

  public PolicyAction defaultAction() {
    return defaultAction;
  }

  public boolean appliesToLayer() {
    return appliesToLayer;
  }

  public boolean appliesToOSImage() {
    return appliesToOSImage;
  }

  public String title() {
    return title;
  }

  public String rationale() {
    return rationale;
  }

  public static Optional<BuiltInRule> byId(String id) {
    for (BuiltInRule r : values()) {
      if (r.id.equals(id)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}

package dev.lamina.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;
import java.util.List;
import java.util.Map;

/**
 * One system container of an OSImage (an entry of onboot, onshutdown or services), as LinuxKit
 * describes one: a name, the Layer whose filesystem it runs, and the runtime fields LinuxKit reads.
 * Key names are LinuxKit's, so a linuxkit.yml entry maps to one of these with {@code image}
 * replaced by {@code layer}. Every field left out takes the value of the image's {@code
 * org.mobyproject.config} label, then of its image config, then LinuxKit's default.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ContainerSpec {
  /** One path component that is not '..' (nor contains '/' or ':'). */
  private static final String COMPONENT = "([^/.:][^/:]*|[.][^/.:][^/:]*|[.][.][^/:]+|[.])";

  /** An absolute path without a '..' component (and without ':', which binds use). */
  private static final String PATH = "(/" + COMPONENT + "?)+";

  /** Schema pattern: an absolute path without a '..' component or ':'. */
  public static final String ABSOLUTE_PATH = "^" + PATH + "$";

  /** Schema pattern: SOURCE:DESTINATION[:OPTIONS], both absolute, without '..' components. */
  public static final String BIND = "^" + PATH + ":" + PATH + "(:[^:]*)?$";

  /** Schema pattern: DESTINATION[:OPTIONS], absolute, without '..' components. */
  public static final String TMPFS = "^" + PATH + "(:[^:]*)?$";

  /** Schema pattern: host, root, new, or the absolute path of a namespace. */
  public static final String NAMESPACE = "^(host|root|new|/[^:]*)$";

  /** Schema pattern: as {@link #NAMESPACE}, or none (a network namespace without interfaces). */
  public static final String NET_NAMESPACE = "^(host|root|new|none|/[^:]*)$";

  @JsonPropertyDescription(
      "Name of the container, unique across onboot, onshutdown and services; its directory under"
          + " /containers and the name uid/gid fields may use for its id.")
  @Required
  @Size(min = 1, max = 63)
  @Pattern("^[A-Za-z0-9][A-Za-z0-9_.-]*$")
  private String name;

  @JsonPropertyDescription(
      "Name of the Layer (in this namespace) whose filesystem the container runs (LinuxKit's"
          + " image); it is pulled by digest like every Layer.")
  @Required
  @Size(min = 1, max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
  private String layer;

  @JsonPropertyDescription(
      "The process and its arguments; default the image's Entrypoint followed by its Cmd.")
  @Size(max = 256)
  private List<String> command;

  @JsonPropertyDescription("Environment as KEY=VALUE; default the image's Env.")
  @Size(max = 256)
  private List<String> env;

  @JsonPropertyDescription("Working directory; default the image's WorkingDir, else /.")
  @Size(max = 4096)
  private String cwd;

  @JsonPropertyDescription(
      "Capabilities (CAP_ names), or all or none alone; replaces the label's. Default none.")
  @Size(max = 64)
  @ValidationRule(value = Capabilities.CEL_RULE, messageExpression = Capabilities.CEL_MESSAGE)
  private List<@Size(max = 32) String> capabilities;

  @JsonProperty("capabilities.add")
  @JsonPropertyDescription("Capabilities added to the label's.")
  @Size(max = 64)
  @ValidationRule(value = Capabilities.CEL_RULE, messageExpression = Capabilities.CEL_MESSAGE)
  private List<@Size(max = 32) String> capabilitiesAdd;

  @JsonPropertyDescription("Ambient capabilities (CAP_ names), or all or none alone.")
  @Size(max = 64)
  @ValidationRule(value = Capabilities.CEL_RULE, messageExpression = Capabilities.CEL_MESSAGE)
  private List<@Size(max = 32) String> ambient;

  @JsonPropertyDescription(
      "Bind mounts SOURCE:DESTINATION[:OPTIONS] (default options rw,rbind,rshared), both paths"
          + " absolute without '..' (the source is a path of the image and stays inside it);"
          + " replaces the label's.")
  @Size(max = 64)
  private List<@Size(max = 4096) @Pattern(BIND) String> binds;

  @JsonProperty("binds.add")
  @JsonPropertyDescription("Bind mounts added to the label's, written as binds are.")
  @Size(max = 64)
  private List<@Size(max = 4096) @Pattern(BIND) String> bindsAdd;

  @JsonPropertyDescription("Mounts; replaces the label's.")
  @Size(max = 64)
  private List<ContainerMount> mounts;

  @JsonPropertyDescription(
      "tmpfs mounts DESTINATION[:OPTIONS], the path absolute without '..'; replaces the label's.")
  @Size(max = 64)
  private List<@Size(max = 4096) @Pattern(TMPFS) String> tmpfs;

  @JsonPropertyDescription("Device nodes the container may use; replaces the label's.")
  @Size(max = 64)
  private List<ContainerDevice> devices;

  @JsonPropertyDescription(
      "Network namespace: host (or root) to share the host's, new or none for an own one, or the"
          + " path of one to join. Default host.")
  @Size(max = 4096)
  @Pattern(NET_NAMESPACE)
  private String net;

  @JsonPropertyDescription(
      "PID namespace: host (or root), new, or the path of one to join. Default new.")
  @Size(max = 4096)
  @Pattern(NAMESPACE)
  private String pid;

  @JsonPropertyDescription(
      "IPC namespace: host (or root), new, or the path of one to join. Default host.")
  @Size(max = 4096)
  @Pattern(NAMESPACE)
  private String ipc;

  @JsonPropertyDescription(
      "UTS namespace: host (or root), new, or the path of one to join. Default host.")
  @Size(max = 4096)
  @Pattern(NAMESPACE)
  private String uts;

  @JsonPropertyDescription("Hostname, in a new UTS namespace.")
  @Size(max = 253)
  private String hostname;

  @JsonPropertyDescription(
      "Run on a read-only root filesystem (unpacked as rootfs/); otherwise the image is unpacked"
          + " as lower/ and runs under an overlay with a tmpfs upper. Default false.")
  private Boolean readonly;

  @JsonPropertyDescription("Paths masked in the container.")
  @Size(max = 64)
  private List<@Size(max = 4096) String> maskedPaths;

  @JsonPropertyDescription("Paths made read-only in the container.")
  @Size(max = 64)
  private List<@Size(max = 4096) String> readonlyPaths;

  @JsonPropertyDescription("User id: a number, root, or a container's name (its id). Default 0.")
  @SchemaFrom(type = IntOrString.class)
  private IdRef uid;

  @JsonPropertyDescription("Group id: a number, root, or a container's name (its id). Default 0.")
  @SchemaFrom(type = IntOrString.class)
  private IdRef gid;

  @JsonPropertyDescription("Additional group ids, each a number, root, or a container's name.")
  @Size(max = 32)
  @SchemaFrom(type = IntOrString[].class)
  private List<IdRef> additionalGids;

  @JsonPropertyDescription("Set no_new_privs on the process. Default false.")
  private Boolean noNewPrivileges;

  @JsonPropertyDescription("oom_score_adj of the process, -1000 to 1000.")
  @Min(-1000)
  @Max(1000)
  private Integer oomScoreAdj;

  @JsonPropertyDescription(
      "Propagation of the root mount: private, rprivate, shared, rshared, slave, rslave,"
          + " unbindable or runbindable.")
  @Pattern("^(|private|rprivate|shared|rshared|slave|rslave|unbindable|runbindable)$")
  private String rootfsPropagation;

  @JsonPropertyDescription("Cgroup path of the container.")
  @Size(max = 4096)
  private String cgroupsPath;

  @JsonPropertyDescription("Sysctls set in the container's namespaces, by name.")
  @Size(max = 64)
  private Map<String, String> sysctl;

  @JsonPropertyDescription(
      "Resource limits NAME,SOFT,HARD (e.g. nofile,1024,4096; a number or unlimited).")
  @Size(max = 16)
  @ValidationRule(
      value =
          "self.all(r, r.matches('^(?i)[ ]*(RLIMIT_)?(CPU|FSIZE|DATA|STACK|CORE|RSS|NPROC|NOFILE"
              + "|MEMLOCK|AS|LOCKS|SIGPENDING|MSGQUEUE|NICE|RTPRIO|RTTIME)[ ]*,[ ]*([0-9]+|unlimited)"
              + "[ ]*,[ ]*([0-9]+|unlimited)[ ]*$'))",
      message =
          "each rlimit must be NAME,SOFT,HARD with a known limit name (e.g. nofile) and numbers"
              + " or unlimited")
  private List<@Size(max = 128) String> rlimits;

  @JsonPropertyDescription("Annotations of the OCI runtime spec.")
  @Size(max = 64)
  private Map<String, String> annotations;

  @JsonPropertyDescription(
      "What LinuxKit's init does around the container (runtime.json): mkdir, interfaces, bindNS,"
          + " namespace, cgroups, mounts.")
  private ContainerRuntime runtime;

  /** Whether {@code path} is absolute without a '..' component (and without ':'). */
  public static boolean absolute(String path) {
    return path != null && path.indexOf('\0') < 0 && path.matches(ABSOLUTE_PATH);
  }

  /**
   * Checks what the CRD's schema checks, for a container that did not pass through the API server
   * (read from a file by the command line, or a plan).
   *
   * @param field where the container is, e.g. {@code spec.services[2]}
   * @throws IllegalArgumentException naming the field and what is wrong with it
   */
  public void validate(String field) {
    if (name == null || !name.matches("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")) {
      throw new IllegalArgumentException(
          field
              + ".name: "
              + (name == null ? "is required" : FileSpec.quote(name) + " is not a valid name")
              + " (letters, digits, '_', '.', '-', at most 63, starting with a letter or digit)");
    }
    if (layer == null || layer.isEmpty()) {
      throw new IllegalArgumentException(
          field + ".layer: is required: name the Layer whose filesystem the container runs");
    }
    Capabilities.validate(field + ".capabilities", capabilities);
    Capabilities.validate(field + ".capabilities.add", capabilitiesAdd);
    Capabilities.validate(field + ".ambient", ambient);
    checkBinds(field + ".binds", binds);
    checkBinds(field + ".binds.add", bindsAdd);
    for (int i = 0; tmpfs != null && i < tmpfs.size(); i++) {
      String t = tmpfs.get(i);
      if (t == null || !t.matches(TMPFS)) {
        throw new IllegalArgumentException(
            field
                + ".tmpfs["
                + i
                + "]: must be DESTINATION[:OPTIONS] with an absolute path without '..'");
      }
    }
    for (int i = 0; mounts != null && i < mounts.size(); i++) {
      mounts.get(i).validate(field + ".mounts[" + i + "]");
    }
    for (int i = 0; devices != null && i < devices.size(); i++) {
      devices.get(i).validate(field + ".devices[" + i + "]");
    }
    checkNamespace(field + ".net", net, true);
    checkNamespace(field + ".pid", pid, false);
    checkNamespace(field + ".ipc", ipc, false);
    checkNamespace(field + ".uts", uts, false);
    if (uid != null) {
      uid.validate(field + ".uid");
    }
    if (gid != null) {
      gid.validate(field + ".gid");
    }
    for (int i = 0; additionalGids != null && i < additionalGids.size(); i++) {
      additionalGids.get(i).validate(field + ".additionalGids[" + i + "]");
    }
    if (runtime != null) {
      runtime.validate(field + ".runtime");
    }
  }

  private static void checkBinds(String field, List<String> binds) {
    for (int i = 0; binds != null && i < binds.size(); i++) {
      String b = binds.get(i);
      if (b == null || !b.matches(BIND)) {
        throw new IllegalArgumentException(
            field
                + "["
                + i
                + "]: bind "
                + (b == null ? "null" : FileSpec.quote(b))
                + " must be SOURCE:DESTINATION[:OPTIONS] with absolute paths without '..' (the"
                + " source is a path of the image and must stay inside it)");
      }
    }
  }

  private static void checkNamespace(String field, String value, boolean net) {
    if (value == null) {
      return;
    }
    if (!value.matches(net ? NET_NAMESPACE : NAMESPACE)) {
      throw new IllegalArgumentException(
          field
              + ": "
              + FileSpec.quote(value)
              + " must be host, root, new"
              + (net ? ", none" : "")
              + " or an absolute path of a namespace");
    }
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getLayer() {
    return layer;
  }

  public void setLayer(String layer) {
    this.layer = layer;
  }

  public List<String> getCommand() {
    return command;
  }

  public void setCommand(List<String> command) {
    this.command = command;
  }

  public List<String> getEnv() {
    return env;
  }

  public void setEnv(List<String> env) {
    this.env = env;
  }

  public String getCwd() {
    return cwd;
  }

  public void setCwd(String cwd) {
    this.cwd = cwd;
  }

  public List<ContainerMount> getMounts() {
    return mounts;
  }

  public void setMounts(List<ContainerMount> mounts) {
    this.mounts = mounts;
  }

  public List<ContainerDevice> getDevices() {
    return devices;
  }

  public void setDevices(List<ContainerDevice> devices) {
    this.devices = devices;
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

  public String getIpc() {
    return ipc;
  }

  public void setIpc(String ipc) {
    this.ipc = ipc;
  }

  public String getUts() {
    return uts;
  }

  public void setUts(String uts) {
    this.uts = uts;
  }

  public String getHostname() {
    return hostname;
  }

  public void setHostname(String hostname) {
    this.hostname = hostname;
  }

  public Boolean getReadonly() {
    return readonly;
  }

  public void setReadonly(Boolean readonly) {
    this.readonly = readonly;
  }

  public IdRef getUid() {
    return uid;
  }

  public void setUid(IdRef uid) {
    this.uid = uid;
  }

  public IdRef getGid() {
    return gid;
  }

  public void setGid(IdRef gid) {
    this.gid = gid;
  }

  public List<IdRef> getAdditionalGids() {
    return additionalGids;
  }

  public void setAdditionalGids(List<IdRef> additionalGids) {
    this.additionalGids = additionalGids;
  }

  public Boolean getNoNewPrivileges() {
    return noNewPrivileges;
  }

  public void setNoNewPrivileges(Boolean noNewPrivileges) {
    this.noNewPrivileges = noNewPrivileges;
  }

  public Integer getOomScoreAdj() {
    return oomScoreAdj;
  }

  public void setOomScoreAdj(Integer oomScoreAdj) {
    this.oomScoreAdj = oomScoreAdj;
  }

  public String getRootfsPropagation() {
    return rootfsPropagation;
  }

  public void setRootfsPropagation(String rootfsPropagation) {
    this.rootfsPropagation = rootfsPropagation;
  }

  public String getCgroupsPath() {
    return cgroupsPath;
  }

  public void setCgroupsPath(String cgroupsPath) {
    this.cgroupsPath = cgroupsPath;
  }

  public Map<String, String> getSysctl() {
    return sysctl;
  }

  public void setSysctl(Map<String, String> sysctl) {
    this.sysctl = sysctl;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }

  public ContainerRuntime getRuntime() {
    return runtime;
  }

  public void setRuntime(ContainerRuntime runtime) {
    this.runtime = runtime;
  }

  public List<String> getCapabilities() {
    return capabilities;
  }

  public void setCapabilities(List<String> capabilities) {
    this.capabilities = capabilities;
  }

  public List<String> getCapabilitiesAdd() {
    return capabilitiesAdd;
  }

  public void setCapabilitiesAdd(List<String> capabilitiesAdd) {
    this.capabilitiesAdd = capabilitiesAdd;
  }

  public List<String> getAmbient() {
    return ambient;
  }

  public void setAmbient(List<String> ambient) {
    this.ambient = ambient;
  }

  public List<String> getBinds() {
    return binds;
  }

  public void setBinds(List<String> binds) {
    this.binds = binds;
  }

  public List<String> getBindsAdd() {
    return bindsAdd;
  }

  public void setBindsAdd(List<String> bindsAdd) {
    this.bindsAdd = bindsAdd;
  }

  public List<String> getTmpfs() {
    return tmpfs;
  }

  public void setTmpfs(List<String> tmpfs) {
    this.tmpfs = tmpfs;
  }

  public List<String> getMaskedPaths() {
    return maskedPaths;
  }

  public void setMaskedPaths(List<String> maskedPaths) {
    this.maskedPaths = maskedPaths;
  }

  public List<String> getReadonlyPaths() {
    return readonlyPaths;
  }

  public void setReadonlyPaths(List<String> readonlyPaths) {
    this.readonlyPaths = readonlyPaths;
  }

  public List<String> getRlimits() {
    return rlimits;
  }

  public void setRlimits(List<String> rlimits) {
    this.rlimits = rlimits;
  }
}

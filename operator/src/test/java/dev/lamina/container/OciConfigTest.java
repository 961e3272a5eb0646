package dev.lamina.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lamina.api.Capabilities;
import dev.lamina.api.ContainerSpec;
import dev.lamina.oci.ImageConfig;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config.json as LinuxKit decides it: precedence, defaults and each runtime field. */
class OciConfigTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final ObjectMapper JSON = new ObjectMapper();

  static ContainerSpec spec(String yaml) {
    return YAML.unmarshal("name: c\nlayer: l\n" + yaml, ContainerSpec.class);
  }

  static ImageConfig image(String label) {
    return new ImageConfig(
        List.of("/bin/entry"),
        List.of("--from-cmd"),
        List.of("PATH=/bin", "FROM=image"),
        "/work",
        null,
        label == null ? Map.of() : Map.of(MobyLabel.KEY, label));
  }

  static JsonNode config(ContainerSpec spec, ImageConfig image) throws Exception {
    ContainerSpec label = MobyLabel.read(image.labels(), "Layer \"l\"");
    byte[] json =
        OciConfig.of("spec.services[0]", spec, label, image, Map.of("c", 100L, "sshd", 101L), null)
            .toJson();
    return JSON.readTree(json);
  }

  /** The whole of a default config.json, byte for byte as Go's MarshalIndent lays it out. */
  @Test
  void defaultsAreLinuxKitsAndLaidOutAsGoWritesThem() {
    byte[] json =
        OciConfig.of(
                "f",
                spec(""),
                new ContainerSpec(),
                new ImageConfig(List.of("/bin/sh"), null, null, null, null, Map.of()),
                Map.of(),
                null)
            .toJson();
    assertThat(new String(json, StandardCharsets.UTF_8))
        .isEqualTo(
            """
            {
                "ociVersion": "1.2.1",
                "process": {
                    "user": {
                        "uid": 0,
                        "gid": 0
                    },
                    "args": [
                        "/bin/sh"
                    ],
                    "cwd": "/",
                    "capabilities": {}
                },
                "root": {
                    "path": "rootfs"
                },
                "mounts": [
                    {
                        "destination": "/dev",
                        "type": "tmpfs",
                        "source": "tmpfs",
                        "options": [
                            "nosuid",
                            "strictatime",
                            "mode=755",
                            "size=65536k"
                        ]
                    },
                    {
                        "destination": "/dev/pts",
                        "type": "devpts",
                        "source": "devpts",
                        "options": [
                            "nosuid",
                            "noexec",
                            "newinstance",
                            "ptmxmode=0666",
                            "mode=0620"
                        ]
                    },
                    {
                        "destination": "/proc",
                        "type": "proc",
                        "source": "proc",
                        "options": [
                            "nosuid",
                            "nodev",
                            "noexec",
                            "relatime"
                        ]
                    },
                    {
                        "destination": "/sys",
                        "type": "sysfs",
                        "source": "sysfs",
                        "options": [
                            "nosuid",
                            "noexec",
                            "nodev"
                        ]
                    },
                    {
                        "destination": "/sys/fs/cgroup",
                        "type": "cgroup",
                        "source": "cgroup",
                        "options": [
                            "nosuid",
                            "noexec",
                            "nodev",
                            "relatime",
                            "ro"
                        ]
                    }
                ],
                "linux": {
                    "resources": {},
                    "namespaces": [
                        {
                            "type": "pid"
                        },
                        {
                            "type": "mount"
                        }
                    ]
                }
            }""");
  }

  @Test
  void specWinsOverLabelWhichWinsOverImageConfig() throws Exception {
    String label =
        "{\"command\":[\"/bin/label\"],\"env\":[\"FROM=label\"],\"cwd\":\"/label\","
            + "\"net\":\"new\",\"readonly\":true}";
    JsonNode fromImage = config(spec(""), image(null));
    assertThat(fromImage.at("/process/args").toString())
        .isEqualTo("[\"/bin/entry\",\"--from-cmd\"]");
    assertThat(fromImage.at("/process/env").toString()).isEqualTo("[\"PATH=/bin\",\"FROM=image\"]");
    assertThat(fromImage.at("/process/cwd").asText()).isEqualTo("/work");

    JsonNode fromLabel = config(spec(""), image(label));
    assertThat(fromLabel.at("/process/args").toString()).isEqualTo("[\"/bin/label\"]");
    assertThat(fromLabel.at("/process/env").toString()).isEqualTo("[\"FROM=label\"]");
    assertThat(fromLabel.at("/process/cwd").asText()).isEqualTo("/label");
    assertThat(fromLabel.at("/root/readonly").asBoolean()).isTrue();
    assertThat(fromLabel.at("/linux/namespaces/0/type").asText()).isEqualTo("network");

    JsonNode fromSpec =
        config(
            spec("command: [/bin/spec]\nenv: [FROM=spec]\ncwd: /spec\nnet: host\nreadonly: false"),
            image(label));
    assertThat(fromSpec.at("/process/args").toString()).isEqualTo("[\"/bin/spec\"]");
    assertThat(fromSpec.at("/process/env").toString()).isEqualTo("[\"FROM=spec\"]");
    assertThat(fromSpec.at("/process/cwd").asText()).isEqualTo("/spec");
    assertThat(fromSpec.at("/root/readonly").isMissingNode()).isTrue();
    assertThat(fromSpec.at("/linux/namespaces").toString())
        .isEqualTo("[{\"type\":\"pid\"},{\"type\":\"mount\"}]");
  }

  @Test
  void addKeysExtendTheLabelAndPlainKeysReplaceIt() throws Exception {
    String label = "{\"capabilities\":[\"CAP_NET_ADMIN\"],\"binds\":[\"/etc:/etc:ro\"]}";
    JsonNode added =
        config(spec("capabilities.add: [CAP_SYS_TIME]\nbinds.add: [/var:/var]"), image(label));
    assertThat(added.at("/process/capabilities/effective").toString())
        .isEqualTo("[\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"]");
    assertThat(added.at("/mounts").toString())
        .contains(
            "{\"destination\":\"/etc\",\"type\":\"bind\",\"source\":\"/etc\",\"options\":[\"ro\",\"rbind\"]}",
            "{\"destination\":\"/var\",\"type\":\"bind\",\"source\":\"/var\","
                + "\"options\":[\"rw\",\"rbind\",\"rshared\"]}");

    JsonNode replaced = config(spec("capabilities: [CAP_SYS_TIME]\nbinds: []"), image(label));
    assertThat(replaced.at("/process/capabilities/effective").toString())
        .isEqualTo("[\"CAP_SYS_TIME\"]");
    assertThat(replaced.at("/mounts").toString()).doesNotContain("\"bind\"");
  }

  @Test
  void capabilitiesAllNoneAndAmbient() throws Exception {
    JsonNode all =
        config(spec("capabilities: [all]\nambient: [CAP_NET_BIND_SERVICE]"), image(null));
    assertThat(all.at("/process/capabilities/effective")).hasSize(Capabilities.KNOWN.size());
    assertThat(all.at("/process/capabilities/effective/0").asText()).isEqualTo("CAP_CHOWN");
    assertThat(all.at("/process/capabilities/bounding/0").asText()).isEqualTo("CAP_AUDIT_CONTROL");
    assertThat(all.at("/process/capabilities/ambient").toString())
        .isEqualTo("[\"CAP_NET_BIND_SERVICE\"]");

    JsonNode some = config(spec("capabilities: [CAP_SYS_TIME]\nambient: [CAP_CHOWN]"), image(null));
    // Bounding, permitted and inheritable: both lists, sorted.
    assertThat(some.at("/process/capabilities/bounding").toString())
        .isEqualTo("[\"CAP_CHOWN\",\"CAP_SYS_TIME\"]");
    assertThat(some.at("/process/capabilities/permitted"))
        .isEqualTo(some.at("/process/capabilities/inheritable"));

    JsonNode none = config(spec("capabilities: [NONE]"), image("{\"capabilities\":[\"all\"]}"));
    assertThat(none.at("/process/capabilities").toString()).isEqualTo("{}");
  }

  @Test
  void eachRuntimeField() throws Exception {
    JsonNode c =
        config(
            spec(
                """
                tmpfs: ['/run:mode=0755,size=1m']
                mounts: [{type: cgroup, options: [rw]}, {source: mqueue}]
                devices: [{path: /dev/console, type: c, major: 5, minor: 1, mode: "0666"}, {path: all, type: b}]
                net: /run/netns/x
                pid: host
                ipc: new
                uts: new
                hostname: edge
                maskedPaths: [/proc/kcore]
                readonlyPaths: [/proc/sys]
                uid: sshd
                gid: 7
                additionalGids: [c, root, 12]
                noNewPrivileges: true
                oomScoreAdj: -500
                rootfsPropagation: shared
                cgroupsPath: /lamina/c
                sysctl: {net.ipv4.ip_forward: "1", kernel.pid_max: "4096"}
                rlimits: ["nofile, 1024, unlimited"]
                annotations: {b: "2", a: "1"}
                """),
            image(null));
    assertThat(c.at("/mounts").toString())
        .contains(
            "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                + "\"options\":[\"mode=0755\",\"size=1m\"]}",
            "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
                + "\"options\":[\"rw\"]}",
            "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\"}");
    assertThat(c.at("/linux/devices").toString())
        .isEqualTo(
            "[{\"path\":\"/dev/console\",\"type\":\"c\",\"major\":5,\"minor\":1,\"fileMode\":438}]");
    assertThat(c.at("/linux/resources/devices").toString())
        .isEqualTo(
            "[{\"allow\":true,\"type\":\"c\",\"major\":5,\"minor\":1,\"access\":\"rwm\"},"
                + "{\"allow\":true,\"type\":\"b\",\"access\":\"rwm\"}]");
    assertThat(c.at("/linux/namespaces").toString())
        .isEqualTo(
            "[{\"type\":\"network\",\"path\":\"/run/netns/x\"},{\"type\":\"ipc\"},"
                + "{\"type\":\"uts\"},{\"type\":\"mount\"}]");
    assertThat(c.at("/hostname").asText()).isEqualTo("edge");
    assertThat(c.at("/linux/maskedPaths/0").asText()).isEqualTo("/proc/kcore");
    assertThat(c.at("/linux/readonlyPaths/0").asText()).isEqualTo("/proc/sys");
    assertThat(c.at("/process/user").toString())
        .isEqualTo("{\"uid\":101,\"gid\":7,\"additionalGids\":[100,0,12]}");
    assertThat(c.at("/process/noNewPrivileges").asBoolean()).isTrue();
    assertThat(c.at("/process/oomScoreAdj").asInt()).isEqualTo(-500);
    assertThat(c.at("/linux/rootfsPropagation").asText()).isEqualTo("shared");
    assertThat(c.at("/linux/cgroupsPath").asText()).isEqualTo("/lamina/c");
    assertThat(c.at("/linux/sysctl").toString())
        .isEqualTo("{\"kernel.pid_max\":\"4096\",\"net.ipv4.ip_forward\":\"1\"}");
    assertThat(c.at("/process/rlimits").toString())
        .isEqualTo("[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":1024}]");
    assertThat(c.at("/annotations").toString()).isEqualTo("{\"a\":\"1\",\"b\":\"2\"}");
  }

  @Test
  void readonlyMakesDevAndSysReadOnly() throws Exception {
    JsonNode c = config(spec("readonly: true"), image(null));
    assertThat(c.at("/root").toString()).isEqualTo("{\"path\":\"rootfs\",\"readonly\":true}");
    assertThat(c.at("/mounts/0/options").toString()).contains("\"ro\"");
    assertThat(c.at("/mounts/3/options").toString()).contains("\"ro\"");
  }

  @Test
  void imageUserIsUsedWhenNoUidOrGidIsSet() throws Exception {
    ImageConfig numeric = new ImageConfig(null, null, null, null, "1000:1001", Map.of());
    JsonNode c =
        JSON.readTree(
            OciConfig.of("f", spec(""), new ContainerSpec(), numeric, Map.of(), null).toJson());
    assertThat(c.at("/process/user").toString()).isEqualTo("{\"uid\":1000,\"gid\":1001}");
    ImageConfig named = new ImageConfig(null, null, null, null, "daemon", Map.of());
    assertThatThrownBy(
            () ->
                OciConfig.of(
                    "spec.services[3]", spec(""), new ContainerSpec(), named, Map.of(), null))
        .hasMessageStartingWith("spec.services[3]: the image config's User \"daemon\"");
    JsonNode looked =
        JSON.readTree(
            OciConfig.of(
                    "f", spec(""), new ContainerSpec(), named, Map.of(), u -> new long[] {2, 3})
                .toJson());
    assertThat(looked.at("/process/user").toString()).isEqualTo("{\"uid\":2,\"gid\":3}");
  }

  @Test
  void sameInputsGiveTheSameBytes() {
    ContainerSpec s = spec("sysctl: {z: '1', a: '2', m: '3'}\nannotations: {y: '1', b: '2'}");
    byte[] a = OciConfig.of("f", s, new ContainerSpec(), image(null), Map.of(), null).toJson();
    byte[] b =
        OciConfig.of(
                "f",
                spec("annotations: {b: '2', y: '1'}\nsysctl: {m: '3', z: '1', a: '2'}"),
                new ContainerSpec(),
                image(null),
                Map.of(),
                null)
            .toJson();
    assertThat(b).isEqualTo(a);
  }

  @Test
  void badLabelKeysAndValuesAreErrorsNamingThem() {
    assertThatThrownBy(
            () -> MobyLabel.read(Map.of(MobyLabel.KEY, "{\"resources\":{}}"), "Layer \"x\""))
        .hasMessage(
            "label org.mobyproject.config of Layer \"x\": key resources is not supported by Lamina");
    assertThatThrownBy(
            () ->
                MobyLabel.read(
                    Map.of(MobyLabel.KEY, "{\"capabilities\":[\"CAP_FLY\"]}"), "Layer \"x\""))
        .hasMessageContaining("capabilities[0]: unknown capability \"CAP_FLY\"");
    assertThatThrownBy(() -> config(spec("uid: nobody"), image(null)))
        .hasMessageContaining("spec.services[0].uid: \"nobody\" is neither a number, root");
    assertThatThrownBy(() -> config(spec("rlimits: ['files,1,2']"), image(null)))
        .hasMessageContaining("spec.services[0].rlimits[0]");
  }

  @Test
  void goEscapesHtmlCharactersAsLinuxKitWrites() {
    assertThat(new String(GoJson.write(Map.of("k", "a<b>&\"c\"\n")), StandardCharsets.UTF_8))
        .isEqualTo("{\n    \"k\": \"a\\u003cb\\u003e\\u0026\\\"c\\\"\\n\"\n}");
  }
}

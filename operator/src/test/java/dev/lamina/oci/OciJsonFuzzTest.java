package dev.lamina.oci;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The OCI documents Lamina reads from registries, layouts and Secrets: image manifests, image
 * indexes, Docker configs and image references. The first byte picks the parser, the rest is the
 * document. Each parses, or fails with an {@link OciException} (an IllegalArgumentException naming
 * the reference for {@link OciReference}, its documented contract). A parsed document written back
 * with {@code toJson()} parses to the same value, since digests depend on those bytes.
 */
class OciJsonFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void parsesEveryDocumentOrSaysWhy(byte[] input) throws Exception {
    if (input.length == 0) {
      return;
    }
    byte[] doc = Arrays.copyOfRange(input, 1, input.length);
    try {
      switch ((input[0] & 0xFF) % 4) {
        case 0 -> {
          ImageManifest m = ImageManifest.parse(doc);
          assertThat(ImageManifest.parse(m.toJson())).isEqualTo(m);
          m.layersSize();
        }
        case 1 -> {
          ImageIndex i = ImageIndex.parse(doc);
          assertThat(ImageIndex.parse(i.toJson())).isEqualTo(i);
          i.select(Platform.linux("amd64"));
          i.select(new Platform("linux", "arm64", "v8"));
        }
        case 2 -> {
          DockerConfig c = DockerConfig.parse(doc, "fuzz");
          c.credentials("docker.io");
          c.credentials("127.0.0.1:5000");
        }
        default -> reference(new String(doc, UTF_8));
      }
    } catch (OciException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  private static void reference(String text) {
    OciReference ref;
    try {
      ref = OciReference.parse(text);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).containsAnyOf("image reference", "invalid tag");
      return;
    }
    assertThat(OciReference.parse(ref.toString())).isEqualTo(ref);
    if (ref.isLayout()) {
      ref.layoutDir();
    }
  }

  static Map<String, byte[]> seeds() {
    String digest = "sha256:" + "a".repeat(64);
    String descriptor =
        "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
            + digest
            + "\",\"size\":1234,\"annotations\":{\"org.opencontainers.image.title\":\"x\"}}";
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put(
        "manifest",
        seed(
            0,
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.lamina.osimage.v1\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + digest
                + "\",\"size\":2},\"layers\":["
                + descriptor
                + "],\"annotations\":{\"a\":\"b\"}}"));
    seeds.put(
        "docker-manifest",
        seed(
            0,
            "{\"schemaVersion\":2,\"mediaType\":"
                + "\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
                + descriptor
                + ",\"layers\":[]}"));
    seeds.put(
        "index",
        seed(
            1,
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
                + digest
                + "\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\","
                + "\"variant\":\"v8\"},\"annotations\":{\"org.opencontainers.image.ref.name\":"
                + "\"1\"}}]}"));
    seeds.put(
        "docker-config",
        seed(
            2,
            "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"YWxpY2U6c2VjcmV0\"},"
                + "\"127.0.0.1:5000\":{\"username\":\"u\",\"password\":\"p\"}}}"));
    seeds.put("reference-registry", seed(3, "127.0.0.1:5000/layers/base:1@" + digest));
    seeds.put("reference-hub", seed(3, "busybox:1.36"));
    seeds.put("reference-layout", seed(3, "oci:/tmp/layout:v1"));
    // Found by fuzzing: a NUL in the layout directory surfaced as an InvalidPathException.
    seeds.put("regression-layout-dir-with-nul", seed(3, "oci:/tmp/lay\0out:1"));
    return seeds;
  }

  private static byte[] seed(int selector, String doc) {
    byte[] d = doc.getBytes(UTF_8);
    byte[] s = new byte[d.length + 1];
    s[0] = (byte) selector;
    System.arraycopy(d, 0, s, 1, d.length);
    return s;
  }

  @Test
  void writeSeeds() throws Exception {
    Assumptions.assumeTrue(
        Boolean.getBoolean("lamina.writeFuzzSeeds"), "-Dlamina.writeFuzzSeeds=true writes them");
    java.nio.file.Path dir =
        java.nio.file.Path.of(
            "src/test/resources/dev/lamina/oci/OciJsonFuzzTestInputs/parsesEveryDocumentOrSaysWhy");
    java.nio.file.Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : seeds().entrySet()) {
      java.nio.file.Files.write(dir.resolve(e.getKey()), e.getValue());
    }
  }
}

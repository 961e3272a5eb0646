package dev.lamina.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OciReferenceTest {
  private static final String DIGEST =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @Test
  void hostWithPortPathTagAndDigest() {
    OciReference ref = OciReference.parse("127.0.0.1:5000/lamina/busybox:1.36@" + DIGEST);

    assertThat(ref.registry()).isEqualTo("127.0.0.1:5000");
    assertThat(ref.path()).isEqualTo("lamina/busybox");
    assertThat(ref.repository()).isEqualTo("127.0.0.1:5000/lamina/busybox");
    assertThat(ref.tag()).isEqualTo("1.36");
    assertThat(ref.digest()).isEqualTo(DIGEST);
    assertThat(ref.isLayout()).isFalse();
    assertThat(ref).hasToString("127.0.0.1:5000/lamina/busybox:1.36@" + DIGEST);
  }

  @Test
  void singleNameIsADockerHubLibraryImage() {
    OciReference ref = OciReference.parse("busybox:1.36");

    assertThat(ref.repository()).isEqualTo("docker.io/library/busybox");
    assertThat(ref.tag()).isEqualTo("1.36");
  }

  @Test
  void firstComponentIsAHostOnlyWithADotColonOrLocalhost() {
    assertThat(OciReference.parse("lamina/busybox").repository())
        .isEqualTo("docker.io/lamina/busybox");
    assertThat(OciReference.parse("ghcr.io/lamina/busybox").registry()).isEqualTo("ghcr.io");
    assertThat(OciReference.parse("localhost/busybox").registry()).isEqualTo("localhost");
    assertThat(OciReference.parse("registry:5000/busybox").registry()).isEqualTo("registry:5000");
    assertThat(OciReference.parse("index.docker.io/library/busybox").repository())
        .isEqualTo("docker.io/library/busybox");
  }

  @Test
  void noTagOrDigestLeavesBothNull() {
    OciReference ref = OciReference.parse("ghcr.io/lamina/busybox");

    assertThat(ref.tag()).isNull();
    assertThat(ref.digest()).isNull();
    assertThat(ref.withDigest(DIGEST)).hasToString("ghcr.io/lamina/busybox@" + DIGEST);
  }

  @Test
  void layoutWithTagOrDigest() {
    OciReference tagged = OciReference.parse("oci:/tmp/images/kernel:6.1");
    OciReference pinned = OciReference.parse("oci:relative/dir@" + DIGEST);
    OciReference bare = OciReference.parse("oci:/tmp/images/kernel");

    assertThat(tagged.isLayout()).isTrue();
    assertThat(tagged.layoutDir()).isEqualTo(Path.of("/tmp/images/kernel"));
    assertThat(tagged.repository()).isEqualTo("oci:/tmp/images/kernel");
    assertThat(tagged.tag()).isEqualTo("6.1");
    assertThat(pinned.layoutDir()).isEqualTo(Path.of("relative/dir"));
    assertThat(pinned.digest()).isEqualTo(DIGEST);
    assertThat(pinned.tag()).isNull();
    assertThat(bare.tag()).isNull();
    assertThat(bare.repository()).isEqualTo("oci:/tmp/images/kernel");
    assertThat(tagged.withDigest(DIGEST)).hasToString("oci:/tmp/images/kernel:6.1@" + DIGEST);
  }

  @Test
  void malformedReferencesAreRejectedWithTheReason() {
    assertThatThrownBy(() -> OciReference.parse("ghcr.io/Lamina/busybox"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ghcr.io/Lamina/busybox")
        .hasMessageContaining("lowercase");
    assertThatThrownBy(() -> OciReference.parse("busybox@sha256:abc"))
        .hasMessageContaining("sha256:<64 lowercase hex>");
    assertThatThrownBy(() -> OciReference.parse("busybox:-bad")).hasMessageContaining("tag");
    assertThatThrownBy(() -> OciReference.parse(" ")).hasMessageContaining("empty");
    assertThatThrownBy(() -> OciReference.parse("oci::tag")).hasMessageContaining("oci:DIR");
  }

  /** Found by fuzzing: the layout directory failed only later, as an InvalidPathException. */
  @Test
  void layoutDirectoryThatIsNoPathIsRejectedWhenParsed() {
    assertThatThrownBy(() -> OciReference.parse("oci:/tmp/lay\0out:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid image reference \"oci:/tmp/lay\0out:1\"")
        .hasMessageContaining("not a valid path");
  }
}

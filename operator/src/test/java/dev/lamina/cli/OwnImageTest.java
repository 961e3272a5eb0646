package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

class OwnImageTest {
  static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void imageIdOfTheOperatorContainerIsTheBuilderImage() {
    Pod pod =
        pod(
            status("sidecar", "other.example/x@sha256:" + "cd".repeat(32)),
            status("operator", "127.0.0.1:5000/lamina/lamina@" + DIGEST));
    assertThat(OwnImage.fromPod(pod)).contains("127.0.0.1:5000/lamina/lamina@" + DIGEST);
  }

  @Test
  void dockerSchemeIsDropped() {
    Pod pod = pod(status("main", "docker-pullable://ghcr.io/lamina-dev/lamina@" + DIGEST));
    assertThat(OwnImage.fromPod(pod)).contains("ghcr.io/lamina-dev/lamina@" + DIGEST);
  }

  @Test
  void statusWithoutARepositoryDigestIsNotUsed() {
    assertThat(OwnImage.fromPod(pod(status("operator", DIGEST)))).isEmpty();
    assertThat(OwnImage.fromPod(pod(status("operator", "")))).isEmpty();
    assertThat(OwnImage.fromPod(new PodBuilder().build())).isEmpty();
  }

  @Test
  void anotherContainerAmongSeveralIsNotTaken() {
    Pod pod = pod(status("a", "r.example/a@" + DIGEST), status("b", "r.example/b@" + DIGEST));
    assertThat(OwnImage.fromPod(pod)).isEmpty();
  }

  private static Pod pod(io.fabric8.kubernetes.api.model.ContainerStatus... statuses) {
    return new PodBuilder().withNewStatus().withContainerStatuses(statuses).endStatus().build();
  }

  private static io.fabric8.kubernetes.api.model.ContainerStatus status(String name, String id) {
    return new ContainerStatusBuilder().withName(name).withImageID(id).build();
  }
}

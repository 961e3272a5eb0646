package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Conditions;
import dev.lamina.api.OSImageStatus;
import dev.lamina.api.Phase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which Events a change of an OSImage's status records. */
class StatusEventsTest {
  private static OSImageStatus status(Phase phase, String reason, String message, String input) {
    OSImageStatus s = new OSImageStatus();
    s.setPhase(phase);
    s.setInputDigest(input);
    s.setConditions(
        Conditions.set(List.of(), Conditions.READY, phase == Phase.Ready, reason, message, 1L));
    return s;
  }

  @Test
  void startingToWaitOnAMissingLayerWarnsOnce() {
    OSImageStatus waiting =
        status(Phase.Pending, "LayersNotReady", "Layer base does not exist.", null);
    assertThat(StatusEvents.of(null, waiting, true))
        .containsExactly(
            new StatusEvents.Event("Warning", "LayersNotReady", "Layer base does not exist."));
    assertThat(StatusEvents.of(waiting, waiting, false)).isEmpty();
  }

  @Test
  void aNewReasonToWaitWarnsAgain() {
    OSImageStatus missing =
        status(Phase.Pending, "LayersNotReady", "Layer base does not exist.", null);
    OSImageStatus notFound =
        status(
            Phase.Pending,
            "LayersNotReady",
            "Layer base is not Ready (ImageNotFound: no such tag).",
            null);
    assertThat(StatusEvents.of(missing, notFound, false))
        .extracting(StatusEvents.Event::message)
        .containsExactly("Layer base is not Ready (ImageNotFound: no such tag).");
  }

  @Test
  void eachWarningReasonOfTheIssueIsAWarning() {
    for (String reason :
        List.of("LayersNotReady", "PolicyDenied", "NoNodeForArchitecture", "Unschedulable")) {
      assertThat(StatusEvents.of(null, status(Phase.Pending, reason, "m", null), true))
          .extracting(StatusEvents.Event::type)
          .as(reason)
          .containsExactly("Warning");
    }
  }

  @Test
  void buildingAndReadyRecordNothingHere() {
    OSImageStatus building = status(Phase.Building, "Building", "Building amd64.", "sha256:a");
    OSImageStatus ready = status(Phase.Ready, "Built", "Index is in r.", "sha256:a");
    assertThat(StatusEvents.of(null, building, true)).isEmpty();
    assertThat(StatusEvents.of(building, ready, false)).isEmpty();
  }

  @Test
  void inputMovingWithoutASpecChangeNamesTheLayerThatMoved() {
    OSImageStatus before = status(Phase.Ready, "Built", "Index is in r.", "sha256:a");
    before.setLayerDigests(Map.of("base", "sha256:b1", "kernel", "sha256:k"));
    OSImageStatus after = status(Phase.Building, "Building", "Building amd64.", "sha256:c");
    after.setLayerDigests(Map.of("base", "sha256:b2", "kernel", "sha256:k"));
    assertThat(StatusEvents.of(before, after, false))
        .containsExactly(
            new StatusEvents.Event(
                "Normal",
                "InputChanged",
                "Layer base moved from sha256:b1 to sha256:b2; input sha256:a is now sha256:c."));
  }

  @Test
  void inputChangedByTheSpecIsNotATagMove() {
    OSImageStatus before = status(Phase.Ready, "Built", "Index is in r.", "sha256:a");
    OSImageStatus after = status(Phase.Building, "Building", "Building amd64.", "sha256:c");
    assertThat(StatusEvents.of(before, after, true)).isEmpty();
  }
}

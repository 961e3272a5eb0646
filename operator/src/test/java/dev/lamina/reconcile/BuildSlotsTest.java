package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster-wide build-pod limit, stepped by hand: pods seen by the informer, asks, time. */
class BuildSlotsTest {
  final List<String> informer = new ArrayList<>();
  final List<String> unschedulable = new ArrayList<>();
  final Instant t0 = Instant.parse("2026-12-01T05:00:00Z");
  final BuildSlots slots = new BuildSlots(2, this::view, Duration.ofSeconds(30));

  /** What the informer shows: unfinished pods hold a slot, unschedulable ones don't. */
  private java.util.Map<String, Boolean> view() {
    java.util.Map<String, Boolean> m = new java.util.HashMap<>();
    informer.forEach(n -> m.put(n, true));
    unschedulable.forEach(n -> m.put(n, false));
    return m;
  }

  @Test
  void grantsUpToTheLimitCountingPodsTheInformerHasNotShownYet() {
    assertThat(slots.acquire("ns/a/amd64", "a-pod", t0).granted()).isTrue();
    assertThat(slots.acquire("ns/b/amd64", "b-pod", t0).granted()).isTrue();
    BuildSlots.Grant c = slots.acquire("ns/c/amd64", "c-pod", t0);
    assertThat(c.granted()).isFalse();
    assertThat(c.position()).isEqualTo(1);

    // The informer now shows both pods, still running: nothing is free.
    informer.addAll(List.of("a-pod", "b-pod"));
    assertThat(slots.acquire("ns/c/amd64", "c-pod", t0.plusSeconds(1)).granted()).isFalse();

    // One finished (it left the informer's unfinished list): the next in line gets it.
    informer.remove("a-pod");
    assertThat(slots.acquire("ns/c/amd64", "c-pod", t0.plusSeconds(2)).granted()).isTrue();
  }

  @Test
  void waitersAreServedInTheOrderTheyFirstAsked() {
    informer.addAll(List.of("x", "y"));
    assertThat(slots.acquire("ns/first/amd64", "f", t0).position()).isEqualTo(1);
    assertThat(slots.acquire("ns/second/amd64", "s", t0).position()).isEqualTo(2);
    informer.remove("x");
    // The second asks first once a slot frees, but the first keeps its turn.
    assertThat(slots.acquire("ns/second/amd64", "s", t0.plusSeconds(1)).granted()).isFalse();
    assertThat(slots.acquire("ns/first/amd64", "f", t0.plusSeconds(1)).granted()).isTrue();
    assertThat(slots.waiting()).containsExactly("ns/second/amd64");
  }

  @Test
  void aWaiterThatStopsAskingLosesItsPlace() {
    informer.addAll(List.of("x", "y"));
    slots.acquire("ns/deleted/amd64", "d", t0);
    slots.acquire("ns/alive/amd64", "l", t0);
    informer.remove("x");
    assertThat(slots.acquire("ns/alive/amd64", "l", t0.plusSeconds(31)).granted()).isTrue();
  }

  @Test
  void aCreatedPodTheInformerNeverShowsStopsCountingAfterAWhile() {
    slots.acquire("ns/a/amd64", "a-pod", t0);
    slots.acquire("ns/b/amd64", "b-pod", t0);
    assertThat(slots.acquire("ns/c/amd64", "c-pod", t0.plusSeconds(5)).granted()).isFalse();
    assertThat(slots.acquire("ns/c/amd64", "c-pod", t0.plusSeconds(31)).granted()).isTrue();
  }

  @Test
  void withdrawnWaitersGiveWay() {
    informer.addAll(List.of("x", "y"));
    slots.acquire("ns/a/amd64", "a", t0);
    slots.acquire("ns/b/amd64", "b", t0);
    slots.withdraw("ns/a/amd64");
    informer.remove("x");
    assertThat(slots.acquire("ns/b/amd64", "b", t0.plusSeconds(1)).granted()).isTrue();
  }

  @Test
  void aPodNoNodeCanTakeHoldsNoSlot() {
    slots.acquire("ns/arm/arm64", "arm-pod", t0);
    slots.acquire("ns/arm2/arm64", "arm2-pod", t0);
    // The scheduler found no arm64 node for either: amd64 builds go ahead.
    unschedulable.addAll(List.of("arm-pod", "arm2-pod"));
    assertThat(slots.acquire("ns/x/amd64", "x-pod", t0.plusSeconds(1)).granted()).isTrue();
  }

  @Test
  void aRefusedPodHoldsItsSlotOnlyWhileNodesOfItsArchitectureExist() {
    Pod refused = pod("arm64", "Pending", true, false);
    assertThat(OSImageWatches.holdsSlot(refused, "arm64"::equals)).isTrue();
    assertThat(OSImageWatches.holdsSlot(refused, "amd64"::equals)).isFalse();
  }

  @Test
  void aPodBeingDeletedHoldsItsSlotUntilItFinishes() {
    assertThat(OSImageWatches.holdsSlot(pod("amd64", "Running", false, true), a -> true)).isTrue();
    assertThat(OSImageWatches.holdsSlot(pod("amd64", "Pending", false, false), a -> true)).isTrue();
    assertThat(OSImageWatches.holdsSlot(pod("amd64", "Succeeded", false, true), a -> true))
        .isFalse();
    assertThat(OSImageWatches.holdsSlot(pod("amd64", "Failed", false, false), a -> true)).isFalse();
  }

  private static Pod pod(String arch, String phase, boolean refused, boolean deleting) {
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .withDeletionTimestamp(deleting ? "2026-12-01T05:00:00Z" : null)
            .endMetadata()
            .withNewSpec()
            .withNodeSelector(java.util.Map.of("kubernetes.io/arch", arch))
            .endSpec()
            .withNewStatus()
            .withPhase(phase)
            .endStatus();
    if (refused) {
      b.editStatus()
          .addNewCondition()
          .withType("PodScheduled")
          .withStatus("False")
          .withReason("Unschedulable")
          .withLastTransitionTime("2026-12-01T05:00:00Z")
          .endCondition()
          .endStatus();
    }
    return b.build();
  }

  @Test
  void zeroMeansNoLimit() {
    BuildSlots unlimited =
        new BuildSlots(0, () -> java.util.Map.of("1", true, "2", true), Duration.ofSeconds(30));
    assertThat(unlimited.acquire("ns/a/amd64", "a", t0).granted()).isTrue();
  }
}

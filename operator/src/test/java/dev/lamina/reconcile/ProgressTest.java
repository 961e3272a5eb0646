package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Conditions;
import dev.lamina.api.Phase;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The kstatus decision for each kind, and the conditions it writes. */
class ProgressTest {
  @ParameterizedTest(name = "{0} {1} layersStalled={2} -> {3}")
  @CsvSource({
    "Ready,    Built,                  false, DONE",
    "Failed,   OOMKilled,              false, STALLED",
    "Failed,   ImagePullFailed,        false, STALLED",
    "Blocked,  PolicyDenied,           false, STALLED",
    "Building, Building,               false, RECONCILING",
    "Building, Unschedulable,          false, RECONCILING",
    "Building, CreateContainerConfigError, false, RECONCILING",
    "Pending,  NoNodeForArchitecture,  false, STALLED",
    "Pending,  OutputMissing,          false, STALLED",
    "Pending,  LayersNotReady,         false, RECONCILING",
    "Pending,  LayersNotReady,         true,  STALLED",
  })
  void osImage(Phase phase, String reason, boolean layersStalled, Progress expected) {
    assertThat(Progress.ofOSImage(phase, reason, layersStalled)).isEqualTo(expected);
  }

  @Test
  void osImageWithoutAPhaseYetIsReconciling() {
    assertThat(Progress.ofOSImage(null, null, false)).isEqualTo(Progress.RECONCILING);
  }

  @ParameterizedTest(name = "{0} ready={1} -> {2}")
  @CsvSource({
    "Resolved,        true,  DONE",
    "ImageNotFound,   false, STALLED",
    "RegistryAuth,    false, STALLED",
    "PlatformMissing, false, STALLED",
    "PolicyDenied,    false, STALLED",
    "RegistryError,   false, RECONCILING",
    "RegistryTimeout, false, RECONCILING",
  })
  void layer(String reason, boolean ready, Progress expected) {
    assertThat(Progress.ofLayer(reason, ready)).isEqualTo(expected);
  }

  @Test
  void imagePolicyThatDoesNotCompileIsStalled() {
    assertThat(Progress.ofImagePolicy(true)).isEqualTo(Progress.DONE);
    assertThat(Progress.ofImagePolicy(false)).isEqualTo(Progress.STALLED);
  }

  @Test
  void stalledCarriesReadysReasonAndDropsReconciling() {
    List<Condition> c =
        Conditions.set(List.of(), Conditions.READY, false, "OOMKilled", "amd64 ran out", 3L);
    c = Progress.RECONCILING.apply(c, 3L);
    assertThat(Conditions.isTrue(c, Conditions.RECONCILING)).isTrue();

    c = Progress.STALLED.apply(c, 3L);
    assertThat(Conditions.find(c, Conditions.RECONCILING)).isEmpty();
    Condition stalled = Conditions.find(c, Conditions.STALLED).orElseThrow();
    assertThat(stalled.getStatus()).isEqualTo("True");
    assertThat(stalled.getReason()).isEqualTo("OOMKilled");
    assertThat(stalled.getMessage()).isEqualTo("amd64 ran out");
    assertThat(stalled.getObservedGeneration()).isEqualTo(3L);
  }

  @Test
  void doneLeavesNeitherCondition() {
    List<Condition> c = Conditions.set(List.of(), Conditions.READY, false, "Building", "", 1L);
    c = Progress.RECONCILING.apply(c, 1L);
    c = Conditions.set(c, Conditions.READY, true, "Built", "Index is in r.", 1L);
    c = Progress.DONE.apply(c, 1L);
    assertThat(c).extracting(Condition::getType).containsExactly(Conditions.READY);
  }
}

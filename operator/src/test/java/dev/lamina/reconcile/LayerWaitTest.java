package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Conditions;
import dev.lamina.api.Layer;
import dev.lamina.api.LayerStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What an OSImage says about each Layer it waits on. */
class LayerWaitTest {
  private static Layer layer(Long generation, Long observed, String reason, String message) {
    Layer l = OperatorTestSupport.layer("ns", "base", "r.example/base:v1");
    l.getMetadata().setGeneration(generation);
    if (observed != null) {
      LayerStatus s = new LayerStatus();
      s.setObservedGeneration(observed);
      if (reason != null) {
        s.setConditions(
            Conditions.set(List.of(), Conditions.READY, false, reason, message, observed));
      }
      l.setStatus(s);
    }
    return l;
  }

  @Test
  void missingLayerIsNamedAsMissingAndNotStalled() {
    LayerWait w = LayerWait.of("base", Optional.empty());
    assertThat(w.why()).isEqualTo("Layer base does not exist");
    assertThat(w.stalled()).isFalse();
  }

  @Test
  void layerNotYetObservedIsNotResolvedYet() {
    assertThat(LayerWait.of("base", Optional.of(layer(2L, 1L, "Resolved", "old"))).why())
        .isEqualTo("Layer base is not resolved yet");
    assertThat(LayerWait.of("base", Optional.of(layer(1L, null, null, null))).why())
        .isEqualTo("Layer base is not resolved yet");
  }

  @Test
  void layersOwnReasonIsGivenAndStallsTheImage() {
    LayerWait w =
        LayerWait.of(
            "base",
            Optional.of(layer(1L, 1L, "ImageNotFound", "manifest r.example/base:v1 not found")));
    assertThat(w.why())
        .isEqualTo("Layer base is not Ready (ImageNotFound: manifest r.example/base:v1 not found)");
    assertThat(w.stalled()).isTrue();
  }

  @Test
  void transientRegistryErrorDoesNotStall() {
    assertThat(LayerWait.of("base", Optional.of(layer(1L, 1L, "RegistryError", "503"))).stalled())
        .isFalse();
  }

  @Test
  void messageJoinsEveryLayer() {
    assertThat(
            LayerWait.message(
                List.of(
                    LayerWait.of("kernel", Optional.empty()),
                    LayerWait.of("base", Optional.of(layer(1L, 1L, "PolicyDenied", "LMN001."))))))
        .isEqualTo("Layer kernel does not exist; Layer base is not Ready (PolicyDenied: LMN001.).");
  }
}

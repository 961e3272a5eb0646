package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Layer;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Events are aggregated as kubectl expects: one Event per object, type, reason and message. */
@ExtendWith(ControlPlaneExtension.class)
class EventsIT {
  @Test
  void repeatsRaiseTheCountOfOneEventAcrossRestarts(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("events");
    Layer layer =
        client.resource(OperatorTestSupport.layer(ns, "base", "r.example/base:v1")).create();

    Events events = new Events(client);
    events.emit(layer, Events.WARNING, "LayersNotReady", "Layer base does not exist.");
    events.emit(layer, Events.WARNING, "LayersNotReady", "Layer base does not exist.");
    events.emit(layer, Events.WARNING, "LayersNotReady", "Layer base does not exist.");
    // Another operator process (a restart, the next leader) remembers nothing but the Event.
    new Events(client).emit(layer, Events.WARNING, "LayersNotReady", "Layer base does not exist.");
    events.emit(layer, Events.WARNING, "LayersNotReady", "Layer kernel does not exist.");

    List<Event> recorded = client.v1().events().inNamespace(ns).list().getItems();
    assertThat(recorded)
        .extracting(Event::getMessage, Event::getCount)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("Layer base does not exist.", 4),
            org.assertj.core.groups.Tuple.tuple("Layer kernel does not exist.", 1));
    assertThat(recorded)
        .allSatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getUid()).isEqualTo(layer.getMetadata().getUid());
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getSource().getComponent()).isEqualTo("lamina-operator");
            });
  }
}

package dev.lamina.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.OperatorException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class StatusUpdatesTest {
  @Test
  void errorStatusSeesWhatTheReconcileThrewThroughTheMetricsWrapper() {
    IOException thrown = new IOException("registry down");
    assertThat(StatusUpdates.cause(new OperatorException(thrown))).isSameAs(thrown);
    assertThat(StatusUpdates.cause(thrown)).isSameAs(thrown);
    IllegalStateException bug = new IllegalStateException("bug");
    assertThat(StatusUpdates.cause(bug)).isSameAs(bug);
    assertThat(StatusUpdates.cause(new OperatorException("no cause")))
        .isInstanceOf(OperatorException.class);
  }
}

package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lamina.api.Architecture;
import dev.lamina.api.Lamina;
import dev.lamina.api.OSImage;
import dev.lamina.testing.ControlPlane;
import dev.lamina.testing.ControlPlaneExtension;
import dev.lamina.testing.TestObjects;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** {@code lamina rebuild NAME} against the real API server. */
@ExtendWith(ControlPlaneExtension.class)
class RebuildCommandIT {
  record Run(int exit, String out, String err) {}

  private static Run rebuild(KubernetesClient client, Instant at, String... args) {
    RebuildCommand command = new RebuildCommand();
    CommandLine line = new CommandLine(command);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    line.parseArgs(args);
    int exit = command.rebuild(client, Clock.fixed(at, ZoneOffset.UTC));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void eachRebuildSetsANewAnnotationValueAndKeepsOtherAnnotations(ControlPlane cluster) {
    KubernetesClient client = cluster.client();
    String ns = cluster.newNamespace("rebuild");
    OSImage o =
        TestObjects.osImage(ns, "edge", List.of(Architecture.amd64), "r.example/out", "quiet");
    o.getMetadata().setAnnotations(java.util.Map.of("team", "edge"));
    client.resource(o).create();

    Instant first = Instant.parse("2026-12-01T05:00:00.123456789Z");
    Run run = rebuild(client, first, "edge", "-n", ns);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "osimage "
                + ns
                + "/edge: rebuild requested (lamina.dev/rebuild=2026-12-01T05:00:00.123456789Z)\n");
    OSImage after = client.resources(OSImage.class).inNamespace(ns).withName("edge").get();
    assertThat(after.getMetadata().getAnnotations())
        .containsEntry(Lamina.REBUILD_ANNOTATION, first.toString())
        .containsEntry("team", "edge");

    Instant second = first.plusMillis(1);
    assertThat(rebuild(client, second, "edge", "--namespace", ns).exit()).isZero();
    assertThat(
            client
                .resources(OSImage.class)
                .inNamespace(ns)
                .withName("edge")
                .get()
                .getMetadata()
                .getAnnotations())
        .containsEntry(Lamina.REBUILD_ANNOTATION, second.toString());
  }

  @Test
  void missingOSImageExitsOneNamingIt(ControlPlane cluster) {
    String ns = cluster.newNamespace("rebuild-missing");
    Run run = rebuild(cluster.client(), Instant.EPOCH, "ghost", "-n", ns);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).isEqualTo("lamina rebuild: no OSImage ghost in namespace " + ns + "\n");
  }
}

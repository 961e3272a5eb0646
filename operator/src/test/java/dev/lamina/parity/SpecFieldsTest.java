package dev.lamina.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecFieldsTest {
  private static Map<String, String> fields(String json) throws Exception {
    return SpecFields.of(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void mountsNamespacesAndCapabilitiesCompareByIdentityNotPosition() throws Exception {
    Map<String, String> a =
        fields(
            """
            {"mounts":[{"destination":"/proc","type":"proc"},{"destination":"/dev","type":"tmpfs"}],
             "linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]},
             "process":{"capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"]},"args":["a","b"]}}
            """);
    Map<String, String> b =
        fields(
            """
            {"mounts":[{"destination":"/dev","type":"tmpfs"},{"destination":"/proc","type":"proc"}],
             "linux":{"namespaces":[{"type":"mount"},{"type":"pid"}]},
             "process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"]},"args":["a","b"]}}
            """);
    assertThat(SpecFields.diff(a, b)).isEmpty();
    assertThat(a).containsEntry("/mounts[/dev]/type", "\"tmpfs\"");
    assertThat(a).containsEntry("/process/capabilities/bounding[CAP_KILL]", "true");
  }

  @Test
  void mountsThatShareADestinationStayInOrder() throws Exception {
    Map<String, String> a =
        fields(
            """
            {"mounts":[{"destination":"/t","type":"tmpfs"},{"destination":"/t","options":["remount"]}]}
            """);
    Map<String, String> b =
        fields(
            """
            {"mounts":[{"destination":"/t","options":["remount"]},{"destination":"/t","type":"tmpfs"}]}
            """);
    assertThat(a).containsEntry("/mounts/0/type", "\"tmpfs\"");
    assertThat(SpecFields.diff(a, b)).containsKeys("/mounts/0/type", "/mounts/1/type");
  }

  @Test
  void argumentOrderAndValuesDiffer() throws Exception {
    Map<String, String> a = fields("{\"process\":{\"args\":[\"a\",\"b\"],\"cwd\":\"/\"}}");
    Map<String, String> b = fields("{\"process\":{\"args\":[\"b\",\"a\"],\"cwd\":\"/\"}}");
    assertThat(SpecFields.diff(a, b))
        .containsOnlyKeys("/process/args/0", "/process/args/1")
        .containsEntry("/process/args/0", List.of("\"a\"", "\"b\""));
  }

  @Test
  void emptyAndAbsentAreTheSameButAValueIsNot() throws Exception {
    Map<String, String> a =
        fields("{\"process\":{\"env\":[],\"user\":{}},\"hostname\":\"\",\"x\":null}");
    Map<String, String> b = fields("{\"process\":{}}");
    assertThat(SpecFields.diff(a, b)).isEmpty();
    Map<String, String> c = fields("{\"process\":{\"user\":{\"uid\":0}}}");
    assertThat(SpecFields.diff(b, c))
        .containsExactly(Map.entry("/process/user/uid", java.util.Arrays.asList(null, "0")));
  }
}

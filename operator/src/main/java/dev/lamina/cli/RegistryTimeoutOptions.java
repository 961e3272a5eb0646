package dev.lamina.cli;

import dev.lamina.oci.RegistryTimeouts;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The registry timeouts as command-line options, shared by the commands that talk to registries.
 */
public final class RegistryTimeoutOptions {
  @Option(
      names = "--registry-connect-timeout",
      defaultValue = "PT30S",
      description =
          "Longest wait to connect to a registry (ISO-8601 duration). Default: ${DEFAULT-VALUE}.")
  Duration connect;

  @Option(
      names = "--registry-idle-timeout",
      defaultValue = "PT60S",
      description =
          "Longest time a registry may send no data: waiting for an answer or between two reads of"
              + " a body. Default: ${DEFAULT-VALUE}.")
  Duration idle;

  @Option(
      names = "--registry-request-timeout",
      defaultValue = "PT5M",
      description =
          "Overall deadline of one registry request (manifests, tokens); blobs get this plus their"
              + " size at --registry-min-rate. Default: ${DEFAULT-VALUE}.")
  Duration request;

  @Option(
      names = "--registry-min-rate",
      defaultValue = "262144",
      description =
          "Slowest blob transfer allowed, in bytes per second (0: blobs get the request timeout"
              + " alone). Default: ${DEFAULT-VALUE}.")
  long minBytesPerSecond;

  /**
   * The timeouts the options give.
   *
   * @throws IllegalArgumentException naming the option that is out of range
   */
  public RegistryTimeouts timeouts() {
    return new RegistryTimeouts(connect, idle, request, minBytesPerSecond);
  }
}

package dev.lamina.supply;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The stock verifiers that hack/build-supply-tools.sh installs: cosign (built from its Go module)
 * and pyspdxtools (spdx-tools from PyPI). A test that needs one is skipped, with the reason
 * printed, when it is missing, unless {@code LAMINA_SUPPLY_TOOLS=required} (as .ci/run sets): then
 * it fails.
 */
public final class SupplyTools {
  public static final Path COSIGN =
      Path.of(System.getenv().getOrDefault("LAMINA_COSIGN_BIN", "/opt/lamina/cosign/bin/cosign"));
  public static final Path PYSPDXTOOLS =
      Path.of(
          System.getenv()
              .getOrDefault("LAMINA_PYSPDXTOOLS_BIN", "/opt/lamina/spdx-tools/bin/pyspdxtools"));

  private SupplyTools() {}

  public record Run(int exit, String out) {}

  public static Path require(Path tool) {
    if (!Files.isExecutable(tool)) {
      String why = tool + " is not installed (hack/build-supply-tools.sh builds it)";
      if ("required".equals(System.getenv("LAMINA_SUPPLY_TOOLS"))) {
        throw new AssertionError(why + ", and LAMINA_SUPPLY_TOOLS=required");
      }
      System.out.println("skipped: " + why);
      Assumptions.abort(why);
    }
    return tool;
  }

  /** Runs {@code tool args}, stdout and stderr together, with no network but loopback needed. */
  public static Run run(Path tool, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(require(tool).toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // cosign would look for a TUF root and a transparency log; the tests run offline.
    pb.environment().put("COSIGN_PASSWORD", "");
    pb.environment().put("SIGSTORE_NO_CACHE", "true");
    pb.environment().put("TUF_ROOT", Files.createTempDirectory("tuf").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish in 5 minutes:\n" + out);
    }
    return new Run(p.exitValue(), out);
  }

  /** {@code cosign verify --key} against a plain-HTTP registry, offline (no transparency log). */
  public static Run cosignVerify(Path publicKey, String reference)
      throws IOException, InterruptedException {
    return run(
        COSIGN,
        "verify",
        "--key",
        publicKey.toString(),
        "--insecure-ignore-tlog=true",
        "--allow-http-registry",
        "--output",
        "json",
        reference);
  }

  public static Run cosignVerifyAttestation(Path publicKey, String reference)
      throws IOException, InterruptedException {
    return run(
        COSIGN,
        "verify-attestation",
        "--type",
        "slsaprovenance1",
        "--key",
        publicKey.toString(),
        "--insecure-ignore-tlog=true",
        "--allow-http-registry",
        reference);
  }

  public record Cli(int exit, String out, String err) {}

  /** Runs the lamina command line in this JVM, capturing what it prints. */
  public static Cli lamina(String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream oldOut = System.out;
    java.io.PrintStream oldErr = System.err;
    System.setOut(new java.io.PrintStream(out, true, UTF_8));
    System.setErr(new java.io.PrintStream(err, true, UTF_8));
    try {
      int exit = dev.lamina.cli.Main.run(args);
      return new Cli(exit, out.toString(UTF_8), err.toString(UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}

package dev.lamina.cli;

import dev.lamina.files.Trees;
import dev.lamina.oci.OciClient;
import dev.lamina.plan.BuildException;
import dev.lamina.supply.ImageVerifier;
import dev.lamina.supply.SigningKeys;
import dev.lamina.supply.SupplyException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Rebuilds a pushed image from its provenance and reports whether every artifact digest matches.
 * Exit 0: all match; 1: some differ (each named); 2: could not verify.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Rebuild a pushed OSImage from its SLSA provenance on this machine and compare every"
            + " artifact digest with the registry's.")
public final class VerifyCommand implements Callable<Integer> {
  static final int DIFFERS = 1;
  static final int ERROR = 2;

  @Parameters(paramLabel = "REF", description = "The image: registry/name:tag or @sha256:…")
  String reference;

  @Option(
      names = "--key",
      description =
          "Public key (PEM) the provenance must be signed by; without one, its signature is not"
              + " checked.")
  List<Path> keyFiles = new ArrayList<>();

  @Option(
      names = "--insecure-registry",
      description = "Registry host[:port] reached over plain HTTP.")
  List<String> insecure = new ArrayList<>();

  @Option(
      names = "--docker-config",
      description = "Directory or file of registry credentials (default $DOCKER_CONFIG).")
  Path dockerConfig;

  @Mixin RegistryTimeoutOptions timeoutOptions = new RegistryTimeoutOptions();

  @Override
  public Integer call() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    Path work = null;
    try {
      List<PublicKey> keys = new ArrayList<>();
      for (Path f : keyFiles) {
        keys.addAll(SigningKeys.publicKeys(Files.readString(f), f.toString()));
      }
      OciClient.Builder b =
          OciClient.builder().insecureHosts(insecure).timeouts(timeoutOptions.timeouts());
      if (dockerConfig != null) {
        b.dockerConfig(dockerConfig);
      }
      work = Files.createTempDirectory("lamina-verify");
      if (keys.isEmpty()) {
        err.println("warning: no --key given; the provenance's signature is not checked");
      }
      ImageVerifier.Report report =
          new ImageVerifier(b.build(), work, line -> err.println(line)).verify(reference, keys);
      for (ImageVerifier.Check c : report.checks()) {
        out.println(
            (c.matches() ? "match   " : "DIFFERS ")
                + c.architecture()
                + " "
                + c.artifact()
                + " pushed "
                + (c.pushed() == null ? "(none)" : c.pushed())
                + " rebuilt "
                + (c.rebuilt() == null ? "(none)" : c.rebuilt()));
      }
      if (report.verified()) {
        out.println("verified " + reference + "@" + report.indexDigest());
        return 0;
      }
      List<String> differ =
          report.checks().stream()
              .filter(c -> !c.matches())
              .map(c -> c.architecture() + "/" + c.artifact())
              .toList();
      err.println("lamina verify: " + String.join(", ", differ) + " differ from the rebuild");
      return DIFFERS;
    } catch (SupplyException e) {
      err.println("lamina verify: " + e.reason() + ": " + e.getMessage());
      return ERROR;
    } catch (BuildException e) {
      err.println("lamina verify: rebuild failed: " + e.reason() + ": " + e.getMessage());
      return ERROR;
    } catch (IOException | IllegalArgumentException e) {
      err.println("lamina verify: " + e.getMessage());
      return ERROR;
    } finally {
      Trees.deleteQuietly(work);
    }
  }
}

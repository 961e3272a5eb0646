package dev.lamina.cli;

import dev.lamina.files.Trees;
import dev.lamina.oci.LayerImageWriter;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciReference;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Packages directory trees as a multi-platform Layer image, one layer per platform. */
@Command(
    name = "layer",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = {
      "Makes a Layer image from directories: one tar+gzip layer per platform, an image config and"
          + " manifest for each, and an image index tagged at the target. Prints the index digest.",
      "The same directories give the same digests: entries are sorted, owners fixed and times"
          + " clamped.",
      "Exit code: 0 written, 1 failed while writing, 2 bad input."
    })
public final class LayerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--platform",
      required = true,
      paramLabel = "OS/ARCH[/VARIANT]=DIR",
      description = "A platform and the directory whose contents make its layer; repeatable.")
  List<String> platforms = new ArrayList<>();

  @Option(
      names = "--to",
      required = true,
      paramLabel = "REF",
      description = "Where to write: oci:DIR:TAG (an OCI image layout) or REGISTRY/REPO:TAG.")
  String to;

  @Option(
      names = "--source-date-epoch",
      defaultValue = "0",
      paramLabel = "SECONDS",
      description =
          "Entries modified later are stamped with this time (default: ${DEFAULT-VALUE}).")
  long sourceDateEpoch;

  @Option(
      names = "--owner",
      defaultValue = "0:0",
      paramLabel = "UID:GID",
      description = "Owner written on every entry (default: ${DEFAULT-VALUE}).")
  String owner;

  @Option(
      names = "--insecure-registry",
      paramLabel = "HOST[:PORT]",
      description = "Registry reached over plain HTTP (loopback always is); repeatable.")
  List<String> insecure = new ArrayList<>();

  @Mixin RegistryTimeoutOptions timeoutOptions = new RegistryTimeoutOptions();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<LayerImageWriter.Source> sources = new ArrayList<>();
    OciReference target;
    int uid;
    int gid;
    try {
      for (String p : platforms) {
        sources.add(parseSource(p));
      }
      target = OciReference.parse(to);
      if (target.tag() == null || target.digest() != null) {
        throw new IllegalArgumentException("--to needs a tag and no digest: " + to);
      }
      String[] ids = owner.split(":", -1);
      if (ids.length != 2 || !ids[0].matches("[0-9]{1,9}") || !ids[1].matches("[0-9]{1,9}")) {
        throw new IllegalArgumentException("--owner must be UID:GID in numbers: " + owner);
      }
      uid = Integer.parseInt(ids[0]);
      gid = Integer.parseInt(ids[1]);
      if (sourceDateEpoch < 0) {
        throw new IllegalArgumentException("--source-date-epoch must not be negative");
      }
    } catch (IllegalArgumentException e) {
      err.println("lamina layer: " + e.getMessage());
      return 2;
    }
    Path scratch = null;
    try {
      scratch = Files.createTempDirectory("lamina-layer-");
      OciClient client =
          OciClient.builder().insecureHosts(insecure).timeouts(timeoutOptions.timeouts()).build();
      OciRepository repo = client.repository(target);
      LayerImageWriter.Result result =
          new LayerImageWriter(sourceDateEpoch, uid, gid, scratch)
              .write(repo, sources, target.tag());
      for (LayerImageWriter.PlatformImage image : result.images()) {
        err.printf(
            "lamina: %s manifest %s layer %s (%d bytes)%n",
            image.platform(),
            image.manifest().digest(),
            image.layer().digest(),
            image.layer().size());
      }
      err.flush();
      out.println(result.index().digest());
      out.flush();
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("lamina layer: " + e.getMessage());
      return 2;
    } catch (IOException | RuntimeException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      err.println("lamina layer: " + message.replace('\n', ' '));
      return 1;
    } finally {
      Trees.deleteQuietly(scratch);
    }
  }

  private static LayerImageWriter.Source parseSource(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException("--platform must be OS/ARCH[/VARIANT]=DIR: " + text);
    }
    return new LayerImageWriter.Source(
        Platform.parse(text.substring(0, eq)), Path.of(text.substring(eq + 1)));
  }
}

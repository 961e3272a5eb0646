import dev.lamina.oci.Descriptor;
import dev.lamina.oci.ImageIndex;
import dev.lamina.oci.ImageManifest;
import dev.lamina.oci.OciClient;
import dev.lamina.oci.OciRepository;
import dev.lamina.oci.Platform;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Pulls an OSImage's artifacts by digest with Lamina's own registry client, which checks every byte
 * against its digest: {@code java -cp lamina.jar hack/boot/PullArtifacts.java REPO@INDEX_DIGEST DIR
 * ARCH...} writes DIR/ARCH/TITLE for each artifact (kernel, initrd.img, cmdline, …) of each ARCH.
 */
public class PullArtifacts {
  public static void main(String[] args) throws Exception {
    if (args.length < 3 || !args[0].contains("@sha256:")) {
      System.err.println("usage: PullArtifacts REPO@sha256:INDEX DIR ARCH...");
      System.exit(2);
    }
    String repoName = args[0].substring(0, args[0].indexOf('@'));
    String indexDigest = args[0].substring(args[0].indexOf('@') + 1);
    OciRepository repo = OciClient.builder().build().repository(repoName);
    ImageIndex index = ImageIndex.parse(repo.manifestBytes(indexDigest));
    for (int i = 2; i < args.length; i++) {
      String arch = args[i];
      Descriptor m =
          index
              .select(Platform.linux(arch))
              .orElseThrow(() -> new IllegalStateException("index has no linux/" + arch));
      ImageManifest manifest = ImageManifest.parse(repo.manifestBytes(m.digest()));
      Path dir = Path.of(args[1], arch);
      Files.createDirectories(dir);
      for (Descriptor layer : manifest.layers()) {
        String title = layer.annotations().get("org.opencontainers.image.title");
        if (title == null || title.contains("/") || title.startsWith(".")) {
          throw new IllegalStateException("artifact " + layer.digest() + " has no usable title");
        }
        try (InputStream in = repo.openBlob(layer)) {
          Files.copy(in, dir.resolve(title), StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.println(arch + "/" + title + " " + layer.digest() + " " + layer.size());
      }
    }
  }
}

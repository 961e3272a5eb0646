package dev.lamina.container;

import dev.lamina.api.FileSpec;
import dev.lamina.assemble.LayerUnion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What LinuxKit changes in a container's image before it runs it: files a build tool leaves behind
 * and names the runtime provides are removed, /etc/hosts and /etc/resolv.conf get fixed contents,
 * and the directories and the /etc/mtab symlink runc needs are made when missing.
 */
public final class ImageFixups {
  static final List<String> REMOVED =
      List.of(".dockerenv", "Dockerfile", "dev/console", "etc/hostname");

  static final String HOSTS =
      "127.0.0.1       localhost\n"
          + "::1     localhost ip6-localhost ip6-loopback\n"
          + "fe00::0 ip6-localnet\n"
          + "ff00::0 ip6-mcastprefix\n"
          + "ff02::1 ip6-allnodes\n"
          + "ff02::2 ip6-allrouters\n";

  static final String RESOLV_CONF = "\n# no name servers set by Lamina\n";

  static final List<String> DIRECTORIES =
      List.of("dev", "dev/pts", "dev/shm", "etc", "proc", "sys");

  private ImageFixups() {}

  /** Applies the changes to {@code image}, a container image's union. */
  public static void apply(LayerUnion image) throws IOException {
    image.remove("container fixups", REMOVED);
    List<FileSpec> files = new ArrayList<>();
    for (String d : DIRECTORIES) {
      if (!image.exists(d)) {
        FileSpec f = new FileSpec(d, null, "0755");
        f.setDirectory(true);
        files.add(f);
      }
    }
    if (!image.exists("etc/mtab")) {
      FileSpec mtab = new FileSpec("etc/mtab", null, "0777");
      mtab.setSymlink("/proc/mounts");
      files.add(mtab);
    }
    files.add(replaced(image, "etc/hosts", HOSTS));
    files.add(replaced(image, "etc/resolv.conf", RESOLV_CONF));
    image.addFiles("container fixups", files, Map.of());
  }

  /** A file with {@code contents}, keeping the mode and owner of the image's file if it has one. */
  private static FileSpec replaced(LayerUnion image, String path, String contents)
      throws IOException {
    long[] owner = image.regularFileOwner(path);
    FileSpec f = new FileSpec(path, contents, owner == null ? "0644" : mode(owner[0]));
    if (owner != null) {
      f.setUid(dev.lamina.api.IdRef.of(owner[1]));
      f.setGid(dev.lamina.api.IdRef.of(owner[2]));
    }
    return f;
  }

  private static String mode(long mode) {
    return String.format("%04o", mode & 07777);
  }
}

package dev.lamina.container;

import dev.lamina.assemble.LayerUnion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Looks up an image config's User ({@code user}, {@code user:group}, names or numbers) in the
 * image's own /etc/passwd and /etc/group, as a container runtime would.
 */
public final class ImageUsers implements OciConfig.UserLookup {
  private final String passwd;
  private final String group;

  private ImageUsers(String passwd, String group) {
    this.passwd = passwd;
    this.group = group;
  }

  /** The users and groups of {@code image}; either file may be missing. */
  public static ImageUsers of(LayerUnion image) throws IOException {
    return new ImageUsers(read(image, "etc/passwd"), read(image, "etc/group"));
  }

  private static String read(LayerUnion image, String path) throws IOException {
    if (!image.isRegularFile(path)) {
      return "";
    }
    try (InputStream in = image.openFile(path, path)) {
      return new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
    }
  }

  @Override
  public long[] apply(String user) {
    String[] p = user.split(":", 2);
    Long uid = null;
    Long gid = null;
    if (p[0].matches("[0-9]+")) {
      uid = Long.parseLong(p[0]);
      gid = 0L;
    } else {
      for (String line : passwd.split("\n")) {
        String[] f = line.split(":");
        if (f.length >= 4
            && f[0].equals(p[0])
            && f[2].matches("[0-9]+")
            && f[3].matches("[0-9]+")) {
          uid = Long.parseLong(f[2]);
          gid = Long.parseLong(f[3]);
          break;
        }
      }
    }
    if (uid == null) {
      return null;
    }
    if (p.length == 2) {
      gid = null;
      if (p[1].matches("[0-9]+")) {
        gid = Long.parseLong(p[1]);
      } else {
        for (String line : group.split("\n")) {
          String[] f = line.split(":");
          if (f.length >= 3 && f[0].equals(p[1]) && f[2].matches("[0-9]+")) {
            gid = Long.parseLong(f[2]);
            break;
          }
        }
      }
      if (gid == null) {
        return null;
      }
    }
    return new long[] {uid, gid};
  }
}

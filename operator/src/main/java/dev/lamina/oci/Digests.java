package dev.lamina.oci;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 digests in the OCI form {@code sha256:<64 lowercase hex>}. */
public final class Digests {
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

  private Digests() {}

  public static String sha256(byte[] bytes) {
    return format(newSha256().digest(bytes));
  }

  /** Reads the stream to its end (without closing it) and returns its digest. */
  public static String sha256(InputStream in) throws IOException {
    MessageDigest md = newSha256();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) != -1; ) {
      md.update(buf, 0, n);
    }
    return format(md.digest());
  }

  public static String format(byte[] sha256) {
    return "sha256:" + HexFormat.of().formatHex(sha256);
  }

  public static boolean isValid(String digest) {
    return digest != null && SHA256.matcher(digest).matches();
  }

  /** Returns the digest unchanged, or throws if it is not a sha256 digest. */
  public static String require(String digest) {
    if (!isValid(digest)) {
      throw new IllegalArgumentException(
          "not a sha256 digest (sha256:<64 lowercase hex>): " + digest);
    }
    return digest;
  }

  /** The hex part of a sha256 digest. */
  public static String hex(String digest) {
    return require(digest).substring("sha256:".length());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}

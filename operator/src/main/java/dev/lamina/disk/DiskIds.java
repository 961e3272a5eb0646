package dev.lamina.disk;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Identifiers that images carry (GPT GUIDs, the FAT volume serial), derived from the build's input
 * digest, its architecture and sourceDateEpoch, never from the clock or randomness: the same inputs
 * give the same bytes, and two different images don't share a disk GUID.
 */
public final class DiskIds {
  private final String seed;

  public DiskIds(String inputDigest, String architecture, long sourceDateEpoch) {
    this.seed = inputDigest + "\n" + architecture + "\n" + sourceDateEpoch + "\n";
  }

  /** 32 bytes for {@code purpose}. */
  public byte[] bytes(String purpose) {
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest((seed + purpose).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A version-4-shaped GUID in the mixed-endian byte order GPT stores, so tools display it as a
   * well-formed random GUID.
   */
  public byte[] guid(String purpose) {
    byte[] g = java.util.Arrays.copyOf(bytes(purpose), 16);
    g[7] = (byte) ((g[7] & 0x0F) | 0x40); // high byte of the little-endian third field
    g[8] = (byte) ((g[8] & 0x3F) | 0x80);
    return g;
  }

  public int serial(String purpose) {
    byte[] b = bytes(purpose);
    return (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
  }
}

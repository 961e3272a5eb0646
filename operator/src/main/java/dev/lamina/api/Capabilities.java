package dev.lamina.api;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The Linux capability names a container may ask for (the kernel's list up to
 * CAP_CHECKPOINT_RESTORE, Linux 5.9), and the two words that stand alone for all or none of them.
 */
public final class Capabilities {
  /** The names as a CEL list literal, for the CRD's rules; {@link #KNOWN} is read from it. */
  public static final String CEL_LIST =
      "['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',"
          + " 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',"
          + " 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',"
          + " 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',"
          + " 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE',"
          + " 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',"
          + " 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE',"
          + " 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',"
          + " 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE']";

  /**
   * The CEL rule over a list of capabilities: every name known, or one word all/none alone (in any
   * case, as LinuxKit reads them).
   */
  public static final String CEL_RULE =
      "(size(self) == 1 && self[0].lowerAscii() in ['all', 'none']) || self.all(c, c in "
          + CEL_LIST
          + ")";

  /** The message naming the first name that is not a capability. */
  public static final String CEL_MESSAGE =
      "'unknown capability ' + self.filter(c, !(c in "
          + CEL_LIST
          + "))[0] + ': use CAP_ names of Linux capabilities, or all or none alone'";

  /** Every capability, in the kernel's order. */
  public static final List<String> KNOWN =
      Arrays.stream(CEL_LIST.substring(1, CEL_LIST.length() - 1).split(","))
          .map(s -> s.trim().replace("'", ""))
          .toList();

  private Capabilities() {}

  /** Whether {@code name} is a capability. */
  public static boolean known(String name) {
    return KNOWN.contains(name);
  }

  /** Whether {@code names} is the word all alone, in any case. */
  public static boolean isAll(List<String> names) {
    return names != null
        && names.size() == 1
        && names.get(0).toLowerCase(Locale.ROOT).equals("all");
  }

  /** Whether {@code names} is the word none alone, in any case. */
  public static boolean isNone(List<String> names) {
    return names != null
        && names.size() == 1
        && names.get(0).toLowerCase(Locale.ROOT).equals("none");
  }

  /**
   * Checks a list as the CRD does.
   *
   * @throws IllegalArgumentException naming {@code field} and the first unknown name
   */
  public static void validate(String field, List<String> names) {
    if (names == null || isAll(names) || isNone(names)) {
      return;
    }
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (n == null || !known(n)) {
        throw new IllegalArgumentException(
            field
                + "["
                + i
                + "]: unknown capability "
                + (n == null ? "null" : FileSpec.quote(n))
                + ": use CAP_ names of Linux capabilities, or all or none alone");
      }
    }
  }
}

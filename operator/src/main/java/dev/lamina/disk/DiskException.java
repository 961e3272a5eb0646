package dev.lamina.disk;

import dev.lamina.assemble.AssemblyException;

/** Input that can't become an EFI image: a one-line message for users and a reason for status. */
public class DiskException extends AssemblyException {
  /** The stub Layer lacks the stub, or it is not an EFI stub for the architecture. */
  public static final String REASON_BAD_STUB = "InvalidEfiStub";

  /** The kernel can't be started by the stub (not a PE/EFI-stub kernel, wrong architecture). */
  public static final String REASON_BAD_KERNEL = "KernelNotEfi";

  /** spec.disk.size is smaller than what the image holds. */
  public static final String REASON_DISK_TOO_SMALL = "DiskTooSmall";

  /** The command line doesn't fit what the kernel reads of the .cmdline section. */
  public static final String REASON_CMDLINE_TOO_LONG = "CmdlineTooLong";

  public DiskException(String reason, String message) {
    super(reason, message);
  }
}

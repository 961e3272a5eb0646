package dev.lamina.assemble;

import java.io.IOException;

/** Bad input to the assembler (a layer, a path, a file spec); the message is one line for users. */
public class AssemblyException extends IOException {
  public AssemblyException(String message) {
    super(message);
  }

  public AssemblyException(String message, Throwable cause) {
    super(message, cause);
  }
}

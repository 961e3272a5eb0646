package dev.lamina.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** What one run of the lamina command line returned and printed. */
record CliRun(int exit, String out, String err) {
  /** Runs {@code lamina command args...} in this JVM, capturing its output. */
  static CliRun inProcess(String command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(List.of(args));
    int exit =
        new CommandLine(new Main())
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(all.toArray(String[]::new));
    return new CliRun(exit, out.toString(), err.toString());
  }
}

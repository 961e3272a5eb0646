package dev.lamina.linuxkit;

import java.util.List;
import java.util.stream.Collectors;

/** A linuxkit.yml that cannot be imported: every problem found, each naming its key path. */
public final class LinuxKitException extends Exception {
  private final transient List<LinuxKitProblem> problems;

  public LinuxKitException(List<LinuxKitProblem> problems) {
    super(problems.stream().map(LinuxKitProblem::toString).collect(Collectors.joining("; ")));
    this.problems = List.copyOf(problems);
  }

  public List<LinuxKitProblem> problems() {
    return problems;
  }
}

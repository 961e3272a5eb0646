package dev.lamina.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until its issue lands: says so and fails. */
@Command(name = "check", description = "Not implemented yet.")
public final class CheckCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("lamina check: not implemented yet");
    return 2;
  }
}

package dev.lamina.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of lamina.jar: the operator, the builder, the layer packager and the policy checker.
 */
@Command(
    name = "lamina",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    versionProvider = VersionProvider.class,
    description = "Assembles operating-system images from OCI layers.",
    subcommands = {
      OperatorCommand.class,
      BuildCommand.class,
      LayerCommand.class,
      ImportCommand.class,
      CheckCommand.class,
      RebuildCommand.class,
      AssembleCommand.class,
      VerifyCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code, without exiting. */
  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}

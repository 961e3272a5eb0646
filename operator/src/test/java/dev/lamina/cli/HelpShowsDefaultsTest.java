package dev.lamina.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code --help} of every command shows each option's default, where it has one. */
class HelpShowsDefaultsTest {

  @Test
  void everyOptionWithADefaultShowsItInTheHelp() {
    List<CommandLine> commands = new ArrayList<>();
    collect(new CommandLine(new Main()), commands);
    assertThat(commands).hasSizeGreaterThan(1);
    List<String> checked = new ArrayList<>();
    for (CommandLine command : commands) {
      assertThat(command.getCommandSpec().usageMessage().showDefaultValues())
          .as(command.getCommandName() + ": @Command(showDefaultValues = true)")
          .isTrue();
      String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
      for (OptionSpec option : command.getCommandSpec().options()) {
        String value = option.defaultValue();
        if (value == null || option.usageHelp() || option.versionHelp() || option.hidden()) {
          continue;
        }
        String shown = option.defaultValueString();
        if (shown == null || shown.isEmpty() || shown.equals("null")) {
          continue;
        }
        String name = command.getCommandName() + " " + option.longestName();
        checked.add(name);
        // The option's entry: its line in the option list and the description lines under it,
        // which are indented further than any option line.
        String shownName =
            option.negatable()
                ? "--[no-]" + option.longestName().substring(2)
                : option.longestName();
        Matcher start =
            Pattern.compile("(?m)^ {1,10}(?:-\\w, )?" + Pattern.quote(shownName) + "[=\\s]")
                .matcher(help);
        assertThat(start.find()).as(name + " in\n" + help).isTrue();
        String rest = help.substring(start.end());
        Matcher next = Pattern.compile("(?m)^ {1,10}-").matcher(rest);
        String text = next.find() ? rest.substring(0, next.start()) : rest;
        assertThat(text).as(name).contains("Default: ");
      }
    }
    assertThat(checked)
        .contains(
            "operator --tag-resolve-interval",
            "operator --lease-duration",
            "operator --log-format",
            "operator --health-port");
  }

  @Test
  void operatorHelpNamesTheLeaseAndLogDefaults() {
    String help =
        new CommandLine(new Main())
            .getSubcommands()
            .get("operator")
            .getUsageMessage(CommandLine.Help.Ansi.OFF);
    assertThat(help).contains("Default: PT15S").contains("Default: text").contains("Default: on");
  }

  private static void collect(CommandLine command, List<CommandLine> into) {
    into.add(command);
    command.getSubcommands().values().forEach(c -> collect(c, into));
  }
}

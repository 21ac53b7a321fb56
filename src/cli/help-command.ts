/** `riffle help [command...]`: the help of the program or of a command (`riffle help dag runs`). */
import { UsageError } from './cli-error.ts';
import { action, commandPath, defineCommand, type CliContext, type Command } from './command-kit.ts';

export function defineHelpCommand(ctx: CliContext): Command {
  return defineCommand('help', 'show help for a command', [
    ['riffle help', 'the list of commands'],
    ['riffle help table show', "the options of 'riffle table show'"],
  ])
    .argument('[command...]', 'the command (and subcommand)')
    .action(action(ctx, async (cmd) => {
      const names = (cmd.processedArgs[0] as string[] | undefined) ?? [];
      let target = cmd.parent!;
      for (const name of names) {
        const next = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (next === undefined) {
          const { closest } = await import('../config/index.ts');
          const choices = target.commands.map((c) => c.name());
          const best = closest(name, choices)[0];
          throw new UsageError(`unknown ${target.parent === null ? '' : `${target.name()} `}command '${name}'`, {
            hint: `${best !== undefined ? `did you mean '${best}'? ` : ''}commands: ${choices.join(', ')} (${commandPath(target)} --help)`,
          });
        }
        target = next;
      }
      target.outputHelp();
      return 0;
    }));
}

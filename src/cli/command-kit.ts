/**
 * What every `riffle` command is built with: commander 14 (`Command`), a context (the process's streams, the project
 * configuration), a lazy action (the module that does the work is imported only when the command runs, so that help
 * and completion load nothing but these definitions), examples in the help, and the translation of commander's
 * errors into UsageErrors that say what to do (exit 2).
 *
 * Why commander: it is the most used and best kept parser for Node (no dependencies, typed, Node 20 on 14.x), its
 * tree of commands gives help, suggestions and completion from one definition; `util.parseArgs` has no subcommands
 * and citty fewer users and hooks.
 */
import { Command, CommanderError, Option } from 'commander';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';

export { Command, Option };

/** What a command's definition and its action get. */
export interface CliContext {
  readonly io: CliIO;
  /** The exit code the action returned (0 until one runs). */
  exitCode: number;
  /** Whether anything was written to stdout (under --json, the error document is then not added). */
  readonly wroteStdout: () => boolean;
}

/** A top-level command: builds its commander Command (definitions only; the action imports its module lazily). */
export type CommandFactory = (ctx: CliContext) => Command;

/** A new command with a one-line description and, shown in its help, examples (`[command line, what it does]`). */
export function defineCommand(name: string, description: string, examples: ReadonlyArray<readonly [string, string]> = []): Command {
  const cmd = new Command(name).description(description);
  if (examples.length > 0) {
    const width = Math.min(56, Math.max(...examples.map(([line]) => line.length)));
    const text = examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`).join('\n');
    cmd.addHelpText('after', `\nExamples:\n${text}`);
  }
  return cmd;
}

/**
 * The action of a command: `run(cmd)` is called with the command (its `opts()`, `optsWithGlobals()` and
 * `processedArgs`) and returns the exit code. `run` should `await import(...)` the module that does the work.
 */
export function action(ctx: CliContext, run: (cmd: Command) => Promise<number>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    ctx.exitCode = await run(args.at(-1) as Command);
  };
}

/** The command's full name for messages: `riffle dag runs`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Help was shown (exit 0), or shown because the command was incomplete (exit 2): not an error to print. */
export class HelpShown extends Error {
  constructor(readonly exitCode: number) {
    super('help shown');
  }
}

/** Collects a repeatable option's values: `.option('--pool <name=N>', '...', collect, [])`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `riffle dag runs [options] <dag>`: the command's usage line. */
export function usageLine(cmd: Command): string {
  return `${commandPath(cmd)} ${cmd.usage()}`.trim();
}

/**
 * Applies the shared settings to a command and all its subcommands: output through `io`, commander's errors as
 * UsageErrors (with "did you mean" and the usage line), help and version as HelpShown.
 */
export function configureTree(cmd: Command, io: CliIO): void {
  cmd
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    .helpCommand(false)
    .exitOverride((e) => {
      throw fromCommander(e, cmd);
    });
  cmd.configureHelp({ ...cmd.configureHelp(), sortSubcommands: false, showGlobalOptions: true });
  for (const sub of cmd.commands) configureTree(sub, io);
}

/** A commander error as what the CLI prints: help outcomes, or a UsageError naming the command and what to do. */
function fromCommander(e: CommanderError, cmd: Command): Error {
  const path = commandPath(cmd);
  const suggestion = /\(Did you mean (.+)\?\)/.exec(e.message)?.[1];
  const help = `${path} --help`;
  switch (e.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return new HelpShown(0);
    case 'commander.help':
      return new HelpShown(2);
    case 'commander.unknownCommand': {
      const name = /unknown command '([^']*)'/.exec(e.message)?.[1] ?? '';
      const names = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name());
      const what = cmd.parent === null ? 'command' : `${cmd.name()} command`;
      const looksLikeModule = cmd.parent === null && /\.[cm]?[jt]s$/.test(name);
      return new UsageError(`unknown ${what} '${name}'`, {
        hint: looksLikeModule ? `to run a pipeline: riffle run ${name}` : `${suggestion ? `did you mean '${suggestion}'? ` : ''}commands: ${names.join(', ')} (${help})`,
      });
    }
    case 'commander.unknownOption': {
      const flag = /unknown option '([^']*)'/.exec(e.message)?.[1] ?? '';
      // An option of a sibling (`dag trigger --pool`, `store check --discard-snapshot`): say which commands take it.
      const long = flag.replace(/=.*$/s, '');
      const takers = (cmd.parent?.commands ?? []).filter((c) => c !== cmd && c.options.some((o) => o.long === long)).map((c) => `'${commandPath(c)}'`);
      const elsewhere = takers.length > 0 ? `${long} is an option of ${takers.join(', ')}; ` : '';
      return new UsageError(`${path}: unknown option ${flag}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, { hint: `${elsewhere}usage: ${usageLine(cmd)}; ${help} lists the options` });
    }
    case 'commander.missingArgument': {
      const name = /missing required argument '([^']*)'/.exec(e.message)?.[1] ?? '';
      const argument = cmd.registeredArguments.find((a) => a.name() === name);
      return new UsageError(`${path}: missing ${argument?.description || `<${name}>`}`, { hint: `usage: ${usageLine(cmd)}` });
    }
    case 'commander.excessArguments': {
      const extra = cmd.args[cmd.registeredArguments.length];
      return new UsageError(`${path}: unexpected argument${extra !== undefined ? ` '${extra}'` : ''}`, { hint: `usage: ${usageLine(cmd)}` });
    }
    case 'commander.optionMissingArgument': {
      const flags = /option '([^' ]*)/.exec(e.message)?.[1] ?? 'the option';
      const long = flags.split(/[ ,]+/).find((f) => f.startsWith('--')) ?? flags;
      return new UsageError(`${long} needs a value`, { hint: `usage: ${usageLine(cmd)}` });
    }
    default:
      return new UsageError(`${path}: ${e.message.replace(/^error: /, '')}`, { hint: `${help} shows the usage` });
  }
}

/**
 * The `riffle` program: the root command (global options, `--version`), the registered commands (commands.ts) and
 * `execute`, which parses a command line, runs the chosen action and returns its exit code. Errors are thrown (a
 * UsageError for a command line commander refuses); main.ts prints them.
 */
import { readFileSync } from 'node:fs';
import { Command, Help, Option } from 'commander';
import type { CliIO } from './cli-io.ts';
import { configureTree, HelpShown, type CliContext, type CommandFactory } from './command-kit.ts';

/** `riffle 0.1.0 (node v20.19.0)`. */
export function versionText(): string {
  return `riffle ${packageVersion()} (node ${process.version})`;
}

/** The version in package.json (src/cli and dist/cli are both two levels below it). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The root command with every registered command under it (help, settings and error handling applied). */
export function buildProgram(ctx: CliContext, factories: readonly CommandFactory[]): Command {
  const program = new Command('riffle')
    .description('run Beam-model pipelines on the embedded engine, and the lakehouse, orchestrator and quality tools around them')
    .usage('<command> [options]')
    .option('--config <file>', 'the project file (default: riffle.config.json|yaml|ts found upward from the current directory)')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false);
  program.addHelpText('after', `
'riffle <command> --help' shows a command's options and examples; 'riffle help <command>' too.
Exit codes: 0 done, 1 a job or check failed, 2 usage or configuration error, 130/143 cancelled (SIGINT/SIGTERM).
With --json, stdout holds one JSON document (an error too: {"error": {"code", "message", "hint"}}).
Set RIFFLE_DEBUG=1 to see stacks of errors; NO_COLOR=1 turns colours off.`);
  for (const factory of factories) program.addCommand(factory(ctx));
  configureTree(program, ctx.io);
  // -V/--version is read by execute() only as the first word: as an option of the root, commander would take it
  // anywhere on the line, and `riffle table show t --version 3` means the table's version.
  const versionOption = new Option('-V, --version', 'print the version');
  program.configureHelp({
    ...program.configureHelp(),
    visibleOptions(this: Help, cmd: Command): Option[] {
      return [versionOption, ...Help.prototype.visibleOptions.call(this, cmd)];
    },
  });
  return program;
}

/** The context of one command line over `io`. */
export function newContext(io: CliIO): CliContext {
  let wrote = false;
  const tracked: CliIO = { ...io, out: (text) => ((wrote = true), io.out(text)) };
  return { io: tracked, exitCode: 0, wroteStdout: () => wrote };
}

/**
 * Runs one command line (without the node and script paths) and returns the exit code; errors are thrown.
 * @example await execute(['dag', 'list', '--json'], io, COMMANDS)
 */
export async function execute(argv: readonly string[], io: CliIO, factories: readonly CommandFactory[], ctx = newContext(io)): Promise<number> {
  if (argv[0] === '-V' || argv[0] === '--version') {
    ctx.io.out(versionText());
    return 0;
  }
  const program = buildProgram(ctx, factories);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof HelpShown) return e.exitCode;
    throw e;
  }
  return ctx.exitCode;
}

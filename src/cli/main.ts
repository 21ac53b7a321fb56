/**
 * The `riffle` command: parses argv and dispatches to a command (see MAIN_HELP). Errors print as
 * `error: <message>` (with the hint, without a stack unless RIFFLE_DEBUG=1; Node system errors name their path,
 * anything unexpected is an "internal error") and set the exit code: 1 when a job fails, 2 for usage and
 * configuration errors, 130/143 when cancelled by SIGINT/SIGTERM.
 * @example
 *   node --import tsx src/cli/main.ts run examples/quickstart.ts --input=data.csv
 */
import { readFileSync } from 'node:fs';
import { describeError, exitCodeOf, UsageError } from './cli-error.ts';
import { processIO, type CliIO } from './cli-io.ts';
import { DESCRIBE_HELP, MAIN_HELP, RUN_HELP, TABLE_HELP, TEMPLATE_HELP, VERSION_HELP } from './help.ts';
import { runCommand } from './run-command.ts';
import { describeCommand } from './template-command.ts';

const COMMANDS = ['run', 'template', 'dag', 'scheduler', 'store', 'contract', 'table', 'quality', 'version', 'help'];
const HELP: Record<string, string> = { run: RUN_HELP, template: TEMPLATE_HELP, 'template describe': DESCRIBE_HELP, 'template run': RUN_HELP, version: VERSION_HELP, table: TABLE_HELP };

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** Runs one command line (without the node and script paths) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv.map((a) => (a === '-h' ? '--help' : a)), io);
  } catch (e) {
    io.err(describeError(e, isDebug(io.env), io.cwd));
    return exitCodeOf(e);
  }
}

async function dispatch(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(MAIN_HELP);
      return 2;
    case '--help':
      io.out(MAIN_HELP);
      return 0;
    case 'help': {
      const topic = rest.filter((a) => !a.startsWith('-')).join(' ');
      if (topic !== '' && HELP[topic] === undefined) throw unknownCommand(topic);
      io.out(topic === '' ? MAIN_HELP : HELP[topic]!);
      return 0;
    }
    case 'version':
    case '--version':
    case '-V':
      io.out(isHelp(rest[0]) ? VERSION_HELP : `riffle ${version()} (node ${process.version})`);
      return 0;
    case 'run':
      return runCommand(rest, io);
    case 'dag': return (await import('./dag-command.ts')).dagCommand(rest, io);
    case 'scheduler': return (await import('./dag-command.ts')).schedulerCommand(rest, io);
    case 'contract': return (await import('./contract-command.ts')).contractCommand(rest, io);
    case 'quality': return (await import('./quality-command.ts')).qualityCommand(rest, io);
    case 'table': return (await import('./table-command.ts')).tableCommand(rest, io);
    case 'store': return (await import('./store-command.ts')).storeCommand(rest, io);
    case 'template': {
      const [sub, ...args] = rest;
      if (sub === undefined || isHelp(sub)) {
        io[sub === undefined ? 'err' : 'out'](TEMPLATE_HELP);
        return sub === undefined ? 2 : 0;
      }
      if (sub === 'describe') return describeCommand(args, io);
      if (sub === 'run') return runCommand(args, io);
      throw new UsageError(`unknown template command '${sub}'`, { hint: "use 'riffle template describe <pipeline.ts>' or 'riffle template run <pipeline.ts>'" });
    }
    default:
      throw unknownCommand(command);
  }
}

function unknownCommand(command: string): UsageError {
  const close = COMMANDS.find((c) => c.startsWith(command.slice(0, 2)));
  const looksLikeModule = /\.[cm]?[jt]s$/.test(command);
  return new UsageError(`unknown command '${command}'`, {
    hint: looksLikeModule ? `to run a pipeline: riffle run ${command}` : `${close ? `did you mean '${close}'? ` : ''}commands: ${COMMANDS.join(', ')} (riffle --help)`,
  });
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Flushes stdout and stderr, then exits: a pipeline may leave handles open that would otherwise keep us alive. */
async function exit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  process.exit(code);
}

function isDebug(env: NodeJS.ProcessEnv): boolean {
  return env.RIFFLE_DEBUG === '1' || env.RIFFLE_DEBUG === 'true';
}

// Errors that escape every await (a stream's 'error' event, a rejected promise nobody awaited) get the same
// treatment as the others: a message, not a crash dump.
const onStray = (e: unknown) => {
  process.stderr.write(`${describeError(e, isDebug(process.env))}\n`);
  void exit(exitCodeOf(e));
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);
// stdout closed by its reader (`riffle table show t | head -1`): nobody reads the rest, so stop quietly, as a command
// killed by SIGPIPE does, instead of an error about it on stderr.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  onStray(e);
});

await exit(await main(process.argv.slice(2), processIO()));

/**
 * The `riffle` command: runs one command line (the commands are registered in commands.ts) and exits with its code.
 * Errors print as `error: <message>` (with the hint, without a stack unless RIFFLE_DEBUG=1; Node system errors name
 * their path, anything unexpected is an "internal error"). With `--json`, stdout holds one JSON document, an error
 * too: `{"error": {"code", "message", "hint"}}` (the text also goes to stderr). Exit codes: 0 done, 1 a job or check
 * failed, 2 usage and configuration errors, 130/143 when cancelled by SIGINT/SIGTERM.
 * @example
 *   node --import tsx src/cli/main.ts run examples/quickstart.ts --input=data.csv
 */
import { describeError, errorDocument, exitCodeOf } from './cli-error.ts';
import { processIO, type CliIO } from './cli-io.ts';
import { COMMANDS } from './commands.ts';
import { consoleToStderr } from './console-redirect.ts';
import { execute, newContext } from './program.ts';

/** Runs one command line (without the node and script paths) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const ctx = newContext(io);
  const restoreConsole = wantsJson(argv) ? consoleToStderr() : () => undefined;
  try {
    return await execute(argv, io, COMMANDS, ctx);
  } catch (e) {
    // Under --json, stdout holds one document: the error's, unless the command already printed its own.
    if (wantsJson(argv) && !ctx.wroteStdout()) io.out(JSON.stringify(errorDocument(e, io.cwd), null, 2));
    io.err(describeError(e, isDebug(io.env), io.cwd));
    return exitCodeOf(e);
  } finally {
    restoreConsole();
  }
}

/** Whether the command line asks for JSON (`--json` before any `--`). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
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
  if (isBrokenPipe(e)) process.exit(0);
  process.stderr.write(`${describeError(e, isDebug(process.env))}\n`);
  void exit(exitCodeOf(e));
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);
// stdout (or stderr) closed by its reader (`riffle table show t | head -1`): nobody reads the rest, so stop quietly,
// as a command killed by SIGPIPE does, instead of an error about it. Node ignores SIGPIPE itself: writes get EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => (isBrokenPipe(e) ? process.exit(0) : onStray(e)));
}

function isBrokenPipe(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

await exit(await main(process.argv.slice(2), processIO()));

// The model only (not the package root), so that `riffle --help` does not load the engine.
import { ConfigError, RiffleError } from '../model/index.ts';

/** The command line itself is wrong (unknown command, missing argument): exit code 2. */
export class UsageError extends RiffleError {
  constructor(message: string, opts: { hint?: string } = {}) {
    super('USAGE', message, { domain: 'user', ...opts });
  }
}

/** Process exit codes of `riffle`. */
export const ExitCode = {
  ok: 0,
  /** The job failed (a step threw, a source failed, the pipeline is invalid). */
  failed: 1,
  /** Usage or configuration error, found before any work. */
  usage: 2,
  /** Cancelled with Ctrl-C (128 + SIGINT). */
  cancelled: 130,
} as const;

/** 2 for usage and configuration errors (nothing ran), 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError ? ExitCode.usage : ExitCode.failed;
}

/**
 * The text printed for an error: `error: <message>` (a RiffleError's message already carries its hint). A
 * RiffleError is the user's to fix, so its stack is noise unless debugging; anything else is a bug somewhere and
 * keeps its stack.
 */
export function describeError(error: unknown, debug: boolean): string {
  if (error instanceof RiffleError && !debug) return `error: ${error.message}`;
  if (error instanceof Error) {
    const stack = error.stack ?? error.message;
    // A stack starts with "<Name>: <message>"; print the message once.
    const frames = stack.startsWith(`${error.name}: ${error.message}`) ? stack.slice(error.name.length + 2 + error.message.length) : `\n${stack}`;
    const cause = debug && error.cause instanceof Error && !stack.includes('caused by') ? `\n  caused by: ${error.cause.stack ?? error.cause.message}` : '';
    return `error: ${error instanceof RiffleError ? '' : `${error.name}: `}${error.message}${frames}${cause}`;
  }
  return `error: ${String(error)}`;
}

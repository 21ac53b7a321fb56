/**
 * The CLI's errors and how they print. Nothing here imports the model: the command definitions load this file, and
 * `riffle --help` must stay light. The CLI's own errors carry the same brand and shape as RiffleError
 * (`Symbol.for('riffle.error')`, code, domain, hint, context), so they are recognised the same way as every other
 * Riffle error — by shape, never by `instanceof`.
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';

const BRAND = Symbol.for('riffle.error');

/** An error of the CLI itself: a RiffleError by brand and shape (message with its hint appended, as RiffleError). */
export class CliError extends Error {
  readonly [BRAND] = true;
  readonly code: string;
  readonly domain: 'user' | 'external' | 'internal';
  readonly hint: string | undefined;
  readonly context: { readonly step?: string; readonly [k: string]: unknown };
  constructor(code: string, message: string, opts: { domain?: 'user' | 'external' | 'internal'; hint?: string; cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(opts.hint ? `${message}\n  hint: ${opts.hint}` : message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.domain = opts.domain ?? 'user';
    this.hint = opts.hint;
    this.context = opts.context ?? {};
  }
}

/** The command line itself is wrong (unknown command, missing argument): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, opts: { hint?: string } = {}) {
    super('USAGE', message, { domain: 'user', ...opts });
  }
}

/** Process exit codes of `riffle`. */
export const ExitCode = {
  ok: 0,
  /** The job failed (a step threw, a source failed, the pipeline is invalid, a file could not be read). */
  failed: 1,
  /** Usage or configuration error, found before any work. */
  usage: 2,
  /** Cancelled with Ctrl-C (128 + SIGINT). */
  cancelled: 130,
  /** Cancelled with SIGTERM (128 + SIGTERM). */
  terminated: 143,
} as const;

/**
 * What the CLI knows of a Riffle error, from its shape: a pipeline or DAG written against another copy of Riffle (a
 * user's installed package next to the CLI's) throws that copy's classes, so `instanceof` would miss them.
 */
export interface RiffleErrorLike extends Error {
  readonly code: string;
  readonly domain: 'user' | 'external' | 'internal';
  readonly hint?: string | undefined;
  readonly context?: { readonly step?: string; readonly [k: string]: unknown };
}

/**
 * Whether `e` is a Riffle error of any copy: it carries the `Symbol.for('riffle.error')` brand (set by RiffleError's
 * constructor), or — a copy older than the brand — it is an Error with a string `code` and a known `domain`.
 */
export function isRiffleError(e: unknown): e is RiffleErrorLike {
  if (!(e instanceof Error)) return false;
  const x = e as Error & { code?: unknown; domain?: unknown; [BRAND]?: unknown };
  if (typeof x.code !== 'string') return false;
  return x[BRAND] === true || x.domain === 'user' || x.domain === 'external' || x.domain === 'internal';
}

/** Whether `e`'s class is, or derives from, a class named `name` (by name, so that any copy's class counts). */
function isKindOf(e: object, name: string): boolean {
  for (let p: unknown = Object.getPrototypeOf(e); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === name) return true;
  }
  return false;
}

/** The message without the `\n  hint: ...` that RiffleError appends to it. */
export function messageOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const hint = isRiffleError(e) ? e.hint : undefined;
  const at = hint ? message.lastIndexOf('\n  hint: ') : -1;
  return at >= 0 ? message.slice(0, at) : message;
}

/** 2 for usage and configuration errors (nothing ran: code USAGE, or a ConfigError of any copy), 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  if (!isRiffleError(error)) return ExitCode.failed;
  return error.code === 'USAGE' || isKindOf(error, 'ConfigError') ? ExitCode.usage : ExitCode.failed;
}

/** An error from Node's file system or network calls: `code` (ENOENT...), `syscall`, and often `path`. */
export interface SystemError extends Error {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly dest?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && /^E[A-Z0-9]+$/.test((e as SystemError).code) && typeof (e as Partial<SystemError>).syscall === 'string';
}

const WHAT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the directory is not empty',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EPIPE: 'the reading end was closed',
  EXDEV: 'it is on another file system',
};

const VERB: Record<string, string> = {
  open: 'open',
  read: 'read',
  scandir: 'list',
  opendir: 'list',
  stat: 'access',
  lstat: 'access',
  access: 'access',
  mkdir: 'create the directory',
  rmdir: 'remove the directory',
  rm: 'remove',
  unlink: 'delete',
  rename: 'rename',
  write: 'write to',
  copyfile: 'copy',
};

/**
 * A Node system error as a RiffleError, for a person: what could not be done to which path and why, and what to do.
 * For ENOTDIR it names the part of the path that is a file (`table show data.csv` reads `data.csv/_delta_log`).
 * @example systemErrorToRiffle(enoent, '/home/me') // "cannot open 'data/x.csv': no such file or directory"
 */
export function systemErrorToRiffle(e: SystemError, cwd = process.cwd()): CliError {
  const shown = (p: string) => {
    const r = relative(cwd, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : p;
  };
  const verb = VERB[e.syscall ?? ''] ?? e.syscall ?? 'use';
  const path = e.path !== undefined ? shown(e.path) : undefined;
  const what = WHAT[e.code] ?? e.message.replace(/^E[A-Z0-9]+: /, '').replace(/, .*$/, '');
  let hint: string;
  let message = path !== undefined ? `cannot ${verb} '${path}': ${what}` : `cannot ${verb}: ${what}`;
  switch (e.code) {
    case 'ENOENT':
      hint = `check the path (relative paths start from ${cwd})`;
      break;
    case 'ENOTDIR': {
      const file = e.path !== undefined ? fileAncestor(e.path) : undefined;
      if (file !== undefined) message = `cannot ${verb} '${path}': '${shown(file)}' is a file, not a directory`;
      hint = file !== undefined ? `give the directory this command expects, not the file '${shown(file)}'` : 'give a directory, not a file';
      break;
    }
    case 'EISDIR':
      hint =
        path !== undefined
          ? `'${path}' is a directory: give a file inside it (or a glob such as '${path}/*.csv' where a command takes one)`
          : 'a directory was given where a file is expected: give a file inside it (or a glob such as dir/*.csv where a command takes one)';
      break;
    case 'EACCES':
    case 'EPERM':
      hint = `check the permissions of '${path ?? 'the path'}' and of the directories above it`;
      break;
    case 'EEXIST':
      hint = 'choose another path, or remove the existing one first';
      break;
    case 'ENOSPC':
      hint = 'free some space on that device, or write elsewhere';
      break;
    case 'EPIPE':
      message = 'the output was closed before everything was written (e.g. piped into head)';
      hint = 'nothing to fix if that was intended';
      break;
    default:
      hint = `the system said: ${e.message}`;
  }
  return new CliError(`IO_${e.code}`, message, { domain: 'external', hint, cause: e, context: path !== undefined ? { path } : {} });
}

/** The longest existing prefix of `path` that is a file, if any. */
function fileAncestor(path: string): string | undefined {
  for (let p = path; ; ) {
    try {
      return statSync(p).isFile() ? p : undefined;
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

/**
 * The text printed for an error:
 * - a RiffleError is the user's to fix (or an external system's): `error: <message>` with its hint, no stack;
 * - a Node system error (ENOENT, EISDIR...) is almost always a wrong path: mapped to a RiffleError naming the path;
 * - anything else is a bug (in Riffle, or in code it ran): `error: internal error: ...`, and where to get the stack.
 * With `debug` (RIFFLE_DEBUG=1) every kind prints its stack and its cause's.
 */
export function describeError(error: unknown, debug: boolean, cwd = process.cwd()): string {
  const e = isSystemError(error) ? systemErrorToRiffle(error, cwd) : error;
  if (isRiffleError(e) && !debug) return `error: ${e.message}`;
  if (e instanceof Error) {
    const internal = !isRiffleError(e);
    if (!debug) {
      return `error: internal error: ${e.name}: ${firstLine(e.message)}
  hint: this is a bug, not something you did wrong; run again with RIFFLE_DEBUG=1 to see the stack, and report it with that output`;
    }
    const stack = e.stack ?? e.message;
    // A stack starts with "<Name>: <message>"; print the message once.
    const frames = stack.startsWith(`${e.name}: ${e.message}`) ? stack.slice(e.name.length + 2 + e.message.length) : `\n${stack}`;
    const cause = e.cause instanceof Error && !stack.includes('caused by') ? `\n  caused by: ${e.cause.stack ?? e.cause.message}` : '';
    return `error: ${internal ? `internal error: ${e.name}: ` : ''}${e.message}${frames}${cause}`;
  }
  return `error: internal error: ${String(error)}\n  hint: run again with RIFFLE_DEBUG=1 for details, and report it`;
}

/**
 * An error as the JSON document `riffle ... --json` prints on stdout: `{"error": {"code", "message", "hint"}}` (the
 * message without its hint; code UNEXPECTED for a bug). System errors are named as describeError names them.
 */
export function errorDocument(error: unknown, cwd = process.cwd()): { error: { code: string; message: string; hint: string | null } } {
  const e = isSystemError(error) ? systemErrorToRiffle(error, cwd) : error;
  if (isRiffleError(e)) return { error: { code: e.code, message: messageOf(e), hint: e.hint ?? null } };
  return { error: { code: 'UNEXPECTED', message: `internal error: ${e instanceof Error ? `${e.name}: ${firstLine(e.message)}` : String(e)}`, hint: 'this is a bug; run again with RIFFLE_DEBUG=1 to see the stack, and report it' } };
}

function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i < 0 ? text : `${text.slice(0, i)} …`;
}

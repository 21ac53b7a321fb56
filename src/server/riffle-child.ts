/**
 * Running the `riffle` command of this same package as a child process: jobs (`riffle run`) and the DAG commands
 * that change the orchestrator store (`riffle dag trigger|clear|mark|pause`). A child that crashes or loads a
 * broken user module cannot take the server down, and the child runs exactly what the CLI runs.
 * The server's admin token is removed from the child's environment.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ApiError } from './api-error.ts';
import { ADMIN_TOKEN_ENV } from './token-store.ts';

/** bin/riffle.js of this package (src/server and dist/bundle are both two levels below the package root). */
export const RIFFLE_BIN = fileURLToPath(new URL('../../bin/riffle.js', import.meta.url));

/** The environment of a child: the server's, without its admin token, with colours off and extra variables. */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env[ADMIN_TOKEN_ENV];
  return env;
}

/** Starts `riffle <args>` in `cwd`. */
export function spawnRiffle(args: readonly string[], o: { cwd: string; stdio: StdioOptions; env?: Readonly<Record<string, string>> }): ChildProcess {
  // The request schemas refuse NUL characters; this keeps any that slip through a 400, not a failed spawn.
  const bad = args.find((a) => a.includes('\0'));
  if (bad !== undefined) throw new ApiError(400, 'INVALID_REQUEST', 'a value of the request holds a NUL character', 'send text without NUL characters');
  return spawn(process.execPath, [RIFFLE_BIN, ...args], { cwd: o.cwd, stdio: o.stdio, env: childEnv(o.env) });
}

/** Runs `riffle <args>` to its end and collects its output (for short commands: at most `timeoutMs`, default 60 s). */
export function runRiffle(args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnRiffle(args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 1), stdout, stderr });
    });
  });
}

/** The `{"error": {code, message, hint}}` document a `--json` command prints on failure, if stdout holds one. */
export function errorDocumentOf(stdout: string): { code: string; message: string; hint: string | null } | undefined {
  try {
    const doc = JSON.parse(stdout) as { error?: { code?: unknown; message?: unknown; hint?: unknown } };
    const e = doc.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return { code: e.code, message: e.message, hint: typeof e.hint === 'string' ? e.hint : null };
  } catch {
    // not JSON: the caller reports the stderr text
  }
  return undefined;
}

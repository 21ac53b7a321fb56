// `riffle run` as a child process for the cluster tests: asynchronous (the test keeps polling Flink's REST API and
// can kill a TaskManager while the job runs), its output collected, stopped after `timeoutMs`.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface RiffleRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `riffle <args>` in the repository's root. */
export function riffle(args: readonly string[], timeoutMs = 600_000): Promise<RiffleRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/riffle.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  return new Promise((done) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

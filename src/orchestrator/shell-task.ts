/**
 * A task that runs a shell command. The command, its environment values and its working directory are templates
 * (`{{ ds }}`, `{{ params.x }}`); output lines go to the attempt's log; the last line of stdout is the task's value
 * (as Airflow's BashOperator pushes it). Exit code 99 skips the task; any other non-zero code fails it.
 * @example
 *   d.task('export', shell({ command: 'pg_dump --table=events_{{ ds_nodash }} > out/{{ ds }}.sql', env: { PGHOST: 'db' } }));
 */
import { spawn } from 'node:child_process';
import { TaskSignal } from './signals.ts';
import type { TaskContext, TaskFn } from './task.ts';

export interface ShellOptions {
  command: string;
  /** Extra environment variables (templated); the worker's environment is inherited. */
  env?: Record<string, string>;
  cwd?: string;
  /** Exit code that means "skip" (default 99). */
  skipExitCode?: number;
}

export function shell(o: ShellOptions): TaskFn<Record<string, unknown>, string | null> {
  return (ctx: TaskContext<Record<string, unknown>>) => {
    const command = ctx.render(o.command);
    const env = { ...process.env, ...Object.fromEntries(Object.entries(o.env ?? {}).map(([k, v]) => [k, ctx.render(v)])) };
    ctx.log(`$ ${command}`);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { env, cwd: o.cwd === undefined ? undefined : ctx.render(o.cwd), stdio: ['ignore', 'pipe', 'pipe'] });
      let last: string | null = null;
      let partial = '';
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          ctx.log(line);
          if (line.trim() !== '') last = line;
        }
      });
      child.stderr.on('data', (chunk: Buffer) => ctx.log(chunk.toString().replace(/\n$/, '')));
      const onAbort = () => child.kill('SIGKILL');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (partial !== '') {
          ctx.log(partial);
          if (partial.trim() !== '') last = partial;
        }
        if (code === 0) resolve(last);
        else if (code === (o.skipExitCode ?? 99)) reject(new TaskSignal('skip', `command exited with ${code}: skipped`));
        else reject(new Error(`command exited with ${signal ? `signal ${signal}` : `code ${code}`}: ${command}`));
      });
    });
  };
}

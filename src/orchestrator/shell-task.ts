/**
 * A task that runs a command. The command, its environment values and its working directory are templates
 * (`{{ ds }}`, `{{ params.x }}`); output lines go to the attempt's log; the last line of stdout is the task's value
 * (as Airflow's BashOperator pushes it). Exit code 99 skips the task; any other non-zero code fails it.
 *
 * Two forms:
 * - a string runs through `/bin/sh -c`, and every placeholder is quoted for the shell where it stands, so a value
 *   such as `x; rm -rf ~` or `$(id)` stays one piece of data (see `shell-quote.ts`). `{{ params.x | raw }}` splices
 *   a value unquoted — dangerous with any value from outside (`--conf`, `--param`): only for shell syntax the DAG's
 *   author writes;
 * - an array runs the program directly, without a shell: each element is rendered as it is and is one argument.
 * Environment values and the working directory are rendered as they are (no shell reads them).
 * @example
 *   d.task('export', shell({ command: 'pg_dump --table=events_{{ ds_nodash }} > out/{{ ds }}.sql', env: { PGHOST: 'db' } }));
 *   d.task('grep', shell(['grep', '-c', '{{ params.pattern }}', 'logs/{{ ds }}.log']));
 */
import { spawn } from 'node:child_process';
import { DagDefinitionError } from './errors.ts';
import { renderShellCommand, shellQuote } from './shell-quote.ts';
import { TaskSignal } from './signals.ts';
import type { TaskContext, TaskFn } from './task.ts';
import { renderTemplate } from './template-context.ts';

export interface ShellOptions {
  /** A command line for `/bin/sh -c` (placeholders quoted), or a program and its arguments (no shell). */
  command: string | readonly string[];
  /** Extra environment variables (templated); the worker's environment is inherited. */
  env?: Record<string, string>;
  cwd?: string;
  /** Exit code that means "skip" (default 99). */
  skipExitCode?: number;
}

/** A shell task; `shell(['prog', 'arg'])` is `shell({ command: ['prog', 'arg'] })`. */
export function shell(options: ShellOptions | readonly string[]): TaskFn<Record<string, unknown>, string | null> {
  const o: ShellOptions = Array.isArray(options) ? { command: options as readonly string[] } : (options as ShellOptions);
  if (Array.isArray(o.command) ? o.command.length === 0 || o.command.some((a) => typeof a !== 'string') : typeof o.command !== 'string') {
    throw new DagDefinitionError('shell(): command must be a string, or a non-empty array of strings (program, arguments)');
  }
  return (ctx: TaskContext<Record<string, unknown>>) => {
    const argv = typeof o.command === 'string' ? ['/bin/sh', '-c', renderShellCommand(o.command, ctx)] : o.command.map((a) => renderTemplate(a, ctx));
    const shown = typeof o.command === 'string' ? argv[2]! : argv.map(shellQuote).join(' ');
    const env = { ...process.env, ...Object.fromEntries(Object.entries(o.env ?? {}).map(([k, v]) => [k, ctx.render(v)])) };
    ctx.log(`$ ${shown}`);
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { env, cwd: o.cwd === undefined ? undefined : ctx.render(o.cwd), stdio: ['ignore', 'pipe', 'pipe'] });
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
      child.on('error', (e) => {
        ctx.signal.removeEventListener('abort', onAbort);
        reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`cannot run '${argv[0]}': no such program (is it on the PATH?)`) : e);
      });
      child.on('close', (code, signal) => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (partial !== '') {
          ctx.log(partial);
          if (partial.trim() !== '') last = partial;
        }
        if (code === 0) resolve(last);
        else if (code === (o.skipExitCode ?? 99)) reject(new TaskSignal('skip', `command exited with ${code}: skipped`));
        else reject(new Error(`command exited with ${signal ? `signal ${signal}` : `code ${code}`}: ${shown}`));
      });
    });
  };
}

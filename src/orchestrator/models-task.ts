/**
 * A task that runs a SQL model project (`riffle models build|run|test|seed`) in the task's process: the project
 * folder, selectors and string vars are templates (`{{ ds }}`), each node's line goes to the attempt's log, and the
 * task's value is the counts. A model that errors or a test that fails (severity error) fails the task without retry
 * (the same data would fail again); so does an invalid project. Other errors (a locked database file) are retried.
 * @example
 *   d.task('transform', models({ projectDir: 'analytics', command: 'build', select: ['+fct_orders'], vars: { as_of: '{{ ds }}' } }));
 */
import { resolve } from 'node:path';
import { failWithoutRetry } from './signals.ts';
import type { TaskContext, TaskFn } from './task.ts';

export interface ModelsTaskOptions {
  /** The project folder (riffle_project.yml or dbt_project.yml), relative to the working directory; a template. */
  projectDir: string;
  /** What to run (default build). */
  command?: 'build' | 'run' | 'test' | 'seed';
  /** dbt selectors (templates). */
  select?: string[];
  exclude?: string[];
  /** A target of the project's profiles.yml. */
  target?: string;
  /** Vars; string values are templates. */
  vars?: Record<string, unknown>;
  /** Rebuild incremental models from scratch. */
  fullRefresh?: boolean;
}

export interface ModelsTaskResult {
  ok: boolean;
  counts: Record<string, number>;
  elapsedMs: number;
  database: string;
}

export function models(o: ModelsTaskOptions): TaskFn<Record<string, unknown>, ModelsTaskResult> {
  return async (ctx: TaskContext<Record<string, unknown>>) => {
    const projectDir = resolve(ctx.render(o.projectDir));
    const vars = o.vars ? Object.fromEntries(Object.entries(o.vars).map(([k, v]) => [k, typeof v === 'string' ? ctx.render(v) : v])) : undefined;
    // Loaded lazily: a DAG that never runs models loads neither the models code nor DuckDB.
    const sql = await import('../sql/index.ts');
    const command = o.command ?? 'build';
    ctx.log(`riffle models ${command} in ${projectDir}${o.select ? ` --select ${o.select.map((s) => ctx.render(s)).join(' ')}` : ''}`);
    let result;
    try {
      result = await sql.runModels(command, {
        projectDir,
        ...(o.select ? { select: o.select.map((s) => ctx.render(s)) } : {}),
        ...(o.exclude ? { exclude: o.exclude.map((s) => ctx.render(s)) } : {}),
        ...(o.target ? { target: o.target } : {}),
        ...(vars ? { vars } : {}),
        ...(o.fullRefresh ? { fullRefresh: true } : {}),
        log: (line) => ctx.log(line),
      });
    } catch (e) {
      // An invalid project (a missing ref, a cycle, a bad config file) does not get better with a retry.
      if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && /^(MODELS_|CONFIG)/.test((e as unknown as { code: string }).code)) failWithoutRetry(e.message);
      throw e;
    }
    const c = result.counts;
    ctx.log(`models ${command}: ${c.success} ok, ${c.pass} tests passed, ${c.warn} warned, ${c.fail} failed, ${c.error} errors, ${c.skipped} skipped in ${result.elapsedMs} ms`);
    if (!result.ok) {
      const bad = result.results.filter((r) => r.status === 'error' || r.status === 'fail').map((r) => `${r.type} ${r.name}: ${r.message ?? r.status}`);
      failWithoutRetry(`models ${command} failed: ${bad.join('; ')}`);
    }
    return { ok: result.ok, counts: { ...c }, elapsedMs: result.elapsedMs, database: result.target.database };
  };
}

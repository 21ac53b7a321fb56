/**
 * `riffle dag runs|tasks|logs|stats`: what the metadata store recorded, opened read-only (these work while a
 * scheduler runs).
 */
import { existsSync } from 'node:fs';
import { loadDagFolder, orchestratorMetrics, parseDateIn, type DagRunState } from '../orchestrator/index.ts';
import { parseDuration } from '../model/index.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { readStore, requireKnownDag, resolveRun, withStore, type DagCtx } from './dag-store-access.ts';
import { dagContext, dagJson, firstLine, intOption, iso, poolsOf, RUN_HEADERS, runDuration, runRows, seconds, tiName } from './dag-support.ts';
import { formatTable } from './table.ts';

const RUN_STATES: readonly DagRunState[] = ['queued', 'running', 'success', 'failed'];

/** `riffle dag runs <dag> [--state queued|running|success|failed] [--limit N]`. */
export async function runsAction(cmd: Command, io: CliIO): Promise<number> {
  const o = cmd.opts<{ state?: string; limit?: string }>();
  if (o.state !== undefined && !RUN_STATES.includes(o.state as DagRunState)) throw new UsageError(`unknown run state '${o.state}'`, { hint: `use one of ${RUN_STATES.join(', ')}` });
  return runs(await dagContext(cmd, io), cmd.processedArgs[0] as string, o.state as DagRunState | undefined, intOption(o.limit, 'limit'));
}

/** `riffle dag tasks <dag> <run>`. */
export async function tasksAction(cmd: Command, io: CliIO): Promise<number> {
  const [dagId, run] = cmd.processedArgs as [string, string];
  return tasks(await dagContext(cmd, io), dagId, run);
}

/** `riffle dag logs <dag> <run> <task> [--try N]`. */
export async function logsAction(cmd: Command, io: CliIO): Promise<number> {
  const [dagId, run, task] = cmd.processedArgs as [string, string, string];
  return logs(await dagContext(cmd, io), dagId, run, task, intOption(cmd.opts<{ try?: string }>().try, 'try'));
}

/** `riffle dag stats [--dag <dag>] [--since 24h|<date>] [--pool name=N ...]`. */
export async function statsAction(cmd: Command, io: CliIO): Promise<number> {
  const o = cmd.opts<{ dag?: string; since?: string; pool?: string[] }>();
  return stats(await dagContext(cmd, io), o.dag, o.since, poolsOf(o.pool ?? []));
}

// ---- queries ----

async function runs(ctx: DagCtx, dagId: string, state: DagRunState | undefined, limit: number | undefined): Promise<number> {
  return withStore(readStore(ctx), async (s) => {
    await requireKnownDag(s, dagId);
    const tz = (await s.getDag(dagId))?.timezone ?? 'UTC';
    let list = await s.listDagRuns({ dagId, ...(state && { states: [state] }) });
    if (limit !== undefined) list = list.slice(-limit);
    if (ctx.json) ctx.io.out(dagJson({ dag: dagId, runs: list.map((r) => ({ ...r, duration: runDuration(r) })) }));
    else ctx.io.out(list.length === 0 ? `no ${state ? `${state} ` : ''}runs of ${dagId}` : formatTable(RUN_HEADERS, runRows(list, tz)));
    return ExitCode.ok;
  });
}

async function tasks(ctx: DagCtx, dagId: string, runArg: string): Promise<number> {
  return withStore(readStore(ctx), async (s) => {
    await requireKnownDag(s, dagId);
    const run = await resolveRun(s, dagId, runArg);
    const tis = (await s.listTaskInstances({ dagId, runId: run.runId })).sort((a, b) => (a.startDate ?? Infinity) - (b.startDate ?? Infinity) || a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
    if (ctx.json) {
      ctx.io.out(dagJson({ run: { ...run, duration: runDuration(run) }, tasks: tis }));
      return ExitCode.ok;
    }
    ctx.io.out(`run ${run.runId} of ${dagId}: ${run.state}${runDuration(run) !== null ? ` in ${seconds(runDuration(run))} s` : ''}`);
    ctx.io.out(tis.length === 0 ? '(no task instances yet: the run has not started)' : formatTable(
      ['task', 'state', 'try', 'max tries', 'started', 'duration s', 'error'],
      tis.map((t) => [tiName(t), t.state, t.tryNumber, t.maxTries, iso(t.startDate), seconds(t.duration), t.state === 'success' ? '' : firstLine(t.error)]),
    ));
    return ExitCode.ok;
  });
}

async function logs(ctx: DagCtx, dagId: string, runArg: string, taskArg: string, tryNumber: number | undefined): Promise<number> {
  return withStore(readStore(ctx), async (s) => {
    await requireKnownDag(s, dagId);
    const run = await resolveRun(s, dagId, runArg);
    const m = /^(.*)\[(\d+)\]$/.exec(taskArg);
    const key = { dagId, runId: run.runId, taskId: m ? m[1]! : taskArg, mapIndex: m ? Number(m[2]) : -1 };
    const ti = await s.getTaskInstance(key);
    if (!ti) {
      const names = (await s.listTaskInstances({ dagId, runId: run.runId })).map(tiName);
      throw new UsageError(`run ${run.runId} has no task instance '${taskArg}'`, { hint: names.length > 0 ? `task instances: ${names.join(', ')}` : 'the run has not started' });
    }
    const attempt = tryNumber ?? ti.tryNumber;
    if (attempt < 1 || attempt > Math.max(ti.tryNumber, 1)) {
      throw new UsageError(`'${taskArg}' has no attempt ${attempt}`, { hint: ti.tryNumber === 0 ? 'it has not run yet' : `attempts: 1 to ${ti.tryNumber}` });
    }
    const text = await s.readLog(key, attempt);
    if (ctx.json) ctx.io.out(dagJson({ dag: dagId, runId: run.runId, task: taskArg, try: attempt, of: ti.tryNumber, state: ti.state, log: text }));
    else {
      ctx.io.err(`${dagId} ${run.runId} ${taskArg}: attempt ${attempt} of ${ti.tryNumber} (${ti.state})`);
      ctx.io.out(text === '' ? '(empty log)' : text.replace(/\n$/, ''));
    }
    return ExitCode.ok;
  });
}

/** `riffle dag stats`: the orchestrator's metrics (what the console shows). */
async function stats(ctx: DagCtx, dagId: string | undefined, sinceArg: string | undefined, pools: Record<string, number>): Promise<number> {
  let since: number | undefined;
  if (sinceArg !== undefined) {
    // A duration back from now ('24h', '7d'), or a date.
    if (/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(sinceArg)) since = Date.now() - parseDuration(sinceArg, '--since');
    else {
      try {
        since = parseDateIn(sinceArg, 'UTC', '--since');
      } catch {
        throw new UsageError(`--since ${sinceArg}: expected a duration back from now (24h, 7d) or a date (2024-01-01)`);
      }
    }
  }
  const dags = existsSync(ctx.folder) ? [...(await loadDagFolder(ctx.folder)).dags.values()] : [];
  return withStore(readStore(ctx), async (s) => {
    if (dagId !== undefined) await requireKnownDag(s, dagId);
    const m = await orchestratorMetrics(s, { ...(since !== undefined && { since }), ...(dagId !== undefined && { dagId }), dags, pools });
    if (ctx.json) {
      ctx.io.out(dagJson(m));
      return ExitCode.ok;
    }
    const counts = (o: Partial<Record<string, number>>) => Object.entries(o).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    const ms = (v: number | null) => (v === null ? '' : v < 10_000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
    const q = m.queueLatency;
    ctx.io.out([
      `${dagId ?? 'all dags'}${since !== undefined ? ` since ${iso(since)}` : ''}: ${m.runs.total} run(s) (${counts(m.runs.byState)}), ${m.taskInstances.total} task instance(s) (${counts(m.taskInstances.byState)})`,
      `queue latency (ready → started): ${q.count === 0 ? '-' : `p50 ${ms(q.p50Ms)}, p95 ${ms(q.p95Ms)}, max ${ms(q.maxMs)} over ${q.count}`}`,
      '',
      m.tasks.length === 0 ? '(no task instances)' : formatTable(['dag', 'task', 'succeeded', 'p50', 'p95', 'max', 'failed', 'retried'], m.tasks.map((t) => [t.dagId, t.taskId, t.count, ms(t.p50Ms), ms(t.p95Ms), ms(t.maxMs), t.failed, t.retried])),
      '',
      formatTable(['dag', 'runs ended', 'run p50', 'run p95'], m.runDurations.map((r) => [r.dagId, r.count, ms(r.p50Ms), ms(r.p95Ms)])),
      '',
      formatTable(['pool', 'slots', 'used', 'queued', 'running'], m.pools.map((p) => [p.pool, p.slots, p.used, p.queued, p.running])),
      ...(m.failures.length === 0 ? [] : ['', 'latest failures:', formatTable(['dag', 'run', 'task', 'try', 'ended', 'error'], m.failures.map((f) => [f.dagId, f.runId, f.taskId + (f.mapIndex >= 0 ? `[${f.mapIndex}]` : ''), f.tryNumber, iso(f.endDate), firstLine(f.error)]))]),
    ].join('\n'));
    return ExitCode.ok;
  });
}

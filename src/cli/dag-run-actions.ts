/**
 * `riffle dag trigger|clear|mark|pause|unpause|backfill`: the commands that change runs. They open the store for
 * writing or, while a scheduler holds a journal store, send the change to its inbox.
 */
import {
  clearTaskInstances, formatDateIn, markTaskInstances, MetadataStoreError, openMetadataStore, parseDateIn, pendingCommands, ProcessExecutor, Scheduler,
  SchedulerError, selectTasks, setDagPaused, submitCommand, triggerDagRun, type InboxCommand, type ParamValue,
} from '../orchestrator/index.ts';
import { ExitCode, isRiffleError, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { asUsage, loadDag, readStore, requireKnownDag, resolveRun, storeLocation, warnTo, withStore, writeStore, type DagCtx } from './dag-store-access.ts';
import { checkedParams, confValues, dagContext, dagJson, firstLine, intOption, poolsOf, RUN_HEADERS, runRows, tiName, warnPoolsTooSmall } from './dag-support.ts';
import { formatTable } from './table.ts';

interface ChangeOptions {
  conf?: string[];
  param?: string[];
  logicalDate?: string;
  start?: string;
  end?: string;
  maxActiveRuns?: string;
  parallelism?: string;
  pool?: string[];
  task?: string;
  state?: string;
  downstream?: boolean;
}

const confOf = (o: ChangeOptions): ParamValue[] => [...confValues(o.conf ?? []), ...confValues(o.param ?? [], '--param')];

/** `riffle dag trigger <dag> [--conf k=v ...] [--logical-date <date>]`. */
export async function triggerAction(cmd: Command, io: CliIO): Promise<number> {
  const o = cmd.opts<ChangeOptions>();
  return trigger(await dagContext(cmd, io), cmd.processedArgs[0] as string, confOf(o), o.logicalDate);
}

/** `riffle dag backfill <dag> --start <date> --end <date> [--max-active-runs N] [--conf k=v ...] [--pool name=N ...]`. */
export async function backfillAction(cmd: Command, io: CliIO): Promise<number> {
  const o = cmd.opts<ChangeOptions>();
  if (o.start === undefined || o.end === undefined) throw new UsageError('backfill needs --start and --end', { hint: 'usage: riffle dag backfill <dag> --start <date> --end <date> [--max-active-runs N]' });
  return backfill(await dagContext(cmd, io), cmd.processedArgs[0] as string, o.start, o.end, confOf(o), {
    maxActiveRuns: intOption(o.maxActiveRuns, 'max-active-runs'), parallelism: intOption(o.parallelism, 'parallelism'), pools: poolsOf(o.pool ?? []),
  });
}

/** `riffle dag clear|mark <dag> <run> --task <t[,t...]> [--state success|failed] [--downstream]`. */
export async function changeTasksAction(cmd: Command, io: CliIO): Promise<number> {
  const op = cmd.name() as 'clear' | 'mark';
  const [dagId, run] = cmd.processedArgs as [string, string];
  const o = cmd.opts<ChangeOptions>();
  const taskList = o.task?.split(',').map((t) => t.trim()).filter(Boolean);
  if (!taskList || taskList.length === 0) throw new UsageError(`${op} needs --task <task id or group id>`, { hint: `usage: riffle dag ${op} <dag> <run> --task <task>${op === 'mark' ? ' --state success|failed' : ''}` });
  const downstream = o.downstream === true;
  const ctx = await dagContext(cmd, io);
  if (op === 'clear') return changeTasks(ctx, dagId, run, { op: 'clear', tasks: taskList, downstream });
  const state = o.state;
  if (state !== 'success' && state !== 'failed') throw new UsageError(`mark needs --state success or --state failed${state ? `, got '${state}'` : ''}`);
  return changeTasks(ctx, dagId, run, { op: 'mark', tasks: taskList, downstream, state });
}

/** `riffle dag pause|unpause <dag>`. */
export async function pauseAction(cmd: Command, io: CliIO): Promise<number> {
  return pause(await dagContext(cmd, io), cmd.processedArgs[0] as string, cmd.name() === 'pause');
}

// ---- changes ----

/** Sends a command to the scheduler holding the store, and waits (briefly) until it has picked it up. */
async function sendToScheduler(ctx: DagCtx, command: InboxCommand): Promise<void> {
  const file = submitCommand(ctx.storeDir, command);
  for (let i = 0; i < 50 && pendingCommands(ctx.storeDir).includes(file); i++) await new Promise((r) => setTimeout(r, 100));
  const picked = !pendingCommands(ctx.storeDir).includes(file);
  ctx.io.err(picked
    ? 'a scheduler holds the store: it applied the command (its output says whether it succeeded)'
    : 'a scheduler holds the store: the command is in its inbox and applies at its next pass');
}

async function trigger(ctx: DagCtx, dagId: string, conf: ParamValue[], date: string | undefined): Promise<number> {
  const dag = await loadDag(ctx, dagId);
  const logicalDate = date === undefined ? undefined : parseDateIn(date, dag.timezone, '--logical-date');
  const params = checkedParams(dag, conf, '--conf ');
  const store = await writeStore(ctx);
  if (!store) {
    const planned = { dagId, runId: `manual__${new Date(dag.schedule.intervalAt(logicalDate ?? Date.now()).start).toISOString()}`, conf: { ...dag.params, ...params } };
    await withStore(readStore(ctx), async (s) => {
      if (logicalDate !== undefined && (await s.listDagRuns({ dagId })).some((r) => r.logicalDate === dag.schedule.intervalAt(logicalDate).start)) {
        throw new SchedulerError('RUN_EXISTS', `dag '${dagId}' already has a run for ${new Date(logicalDate).toISOString()}`, { hint: 'clear that run to re-run it, or pick another logical date' });
      }
    });
    await sendToScheduler(ctx, { op: 'trigger', dagId, ...(logicalDate !== undefined && { logicalDate }), conf: params });
    ctx.io.out(ctx.json ? dagJson({ run: planned, via: 'scheduler inbox' }) : `triggered ${dagId}: ${planned.runId}`);
    return ExitCode.ok;
  }
  const run = await withStore(Promise.resolve(store), (s) => triggerDagRun(s, dag, { ...(logicalDate !== undefined && { logicalDate }), conf: params }));
  ctx.io.out(ctx.json ? dagJson({ run }) : `triggered ${dagId}: ${run.runId} (queued; 'riffle scheduler' runs it)`);
  return ExitCode.ok;
}

async function changeTasks(ctx: DagCtx, dagId: string, runArg: string, c: { op: 'clear'; tasks: string[]; downstream: boolean } | { op: 'mark'; tasks: string[]; downstream: boolean; state: 'success' | 'failed' }): Promise<number> {
  const dag = await loadDag(ctx, dagId);
  try {
    selectTasks(dag, c.tasks, c);
  } catch (e) {
    asUsage(e);
  }
  const store = await writeStore(ctx);
  if (!store) {
    const run = await withStore(readStore(ctx), (s) => resolveRun(s, dagId, runArg));
    await sendToScheduler(ctx, { ...c, dagId, runId: run.runId });
    ctx.io.out(ctx.json ? dagJson({ runId: run.runId, tasks: selectTasks(dag, c.tasks, c), via: 'scheduler inbox' }) : `sent: ${c.op} ${selectTasks(dag, c.tasks, c).join(', ')} in ${run.runId}`);
    return ExitCode.ok;
  }
  return withStore(Promise.resolve(store), async (s) => {
    const run = await resolveRun(s, dagId, runArg);
    if (c.op === 'clear') {
      const r = await clearTaskInstances(s, dag, run.runId, c.tasks, { downstream: c.downstream });
      ctx.io.out(ctx.json ? dagJson({ run: r.run, cleared: r.cleared.map(tiName) }) : `cleared ${r.cleared.length} task instance(s) in ${run.runId}: ${r.cleared.map(tiName).join(', ')}\nrun ${run.runId} is ${r.run.state}; a scheduler runs them again`);
    } else {
      const r = await markTaskInstances(s, dag, run.runId, c.tasks, c.state, { downstream: c.downstream });
      ctx.io.out(ctx.json ? dagJson({ run: r.run, marked: r.marked.map(tiName) }) : `marked ${r.marked.length} task instance(s) ${c.state} in ${run.runId}${r.marked.length > 0 ? `: ${r.marked.map(tiName).join(', ')}` : ''}\nrun ${run.runId} is ${r.run.state}`);
    }
    return ExitCode.ok;
  });
}

async function pause(ctx: DagCtx, dagId: string, paused: boolean): Promise<number> {
  const store = await writeStore(ctx);
  if (!store) {
    await withStore(readStore(ctx), (s) => requireKnownDag(s, dagId));
    await sendToScheduler(ctx, { op: 'pause', dagId, paused });
  } else {
    await withStore(Promise.resolve(store), async (s) => {
      if (await s.getDag(dagId)) await s.setDagPaused(dagId, paused);
      else await setDagPaused(s, await loadDag(ctx, dagId), paused);
    });
  }
  ctx.io.out(ctx.json ? dagJson({ dag: dagId, paused }) : `${paused ? 'paused' : 'unpaused'} ${dagId}`);
  return ExitCode.ok;
}

async function backfill(ctx: DagCtx, dagId: string, startArg: string, endArg: string, conf: ParamValue[], o: { maxActiveRuns: number | undefined; parallelism: number | undefined; pools: Record<string, number> }): Promise<number> {
  const { maxActiveRuns, parallelism, pools } = o;
  const dag = await loadDag(ctx, dagId);
  const from = parseDateIn(startArg, dag.timezone, '--start');
  const to = parseDateIn(endArg, dag.timezone, '--end');
  if (from > to) throw new UsageError(`--start ${startArg} is after --end ${endArg}`);
  const dates = dag.schedule.logicalDatesBetween(from, to);
  if (dates.length === 0) throw new UsageError(`dag '${dagId}' has no interval starting between ${startArg} and ${endArg} (schedule ${dag.schedule.spec ?? 'none'})`);
  const params = checkedParams(dag, conf, '--conf ');
  const store = await openMetadataStore(ctx.store, { onWarning: warnTo(ctx.io) }).catch((e: unknown) => {
    if (isRiffleError(e) && e.code === 'STORE_LOCKED') {
      throw new MetadataStoreError('STORE_LOCKED', `${e.message.split('\n')[0]}: a backfill runs its own scheduler and needs the store to itself`, { hint: 'stop the running scheduler, or trigger single runs with riffle dag trigger --logical-date' });
    }
    throw e;
  });
  warnPoolsTooSmall([dag], pools, ctx.io);
  const scheduler = new Scheduler({
    store, dags: [dag], executor: new ProcessExecutor({ parallelism: parallelism ?? 8 }), scheduleRuns: false, runTypes: ['backfill'], pollMs: 200, storeLocation: storeLocation(ctx.store), pools, remoteLogs: ctx.remoteLogs,
    onTaskState: ctx.json ? undefined : (ti) => {
      if (ti.state === 'failed' || ti.state === 'up_for_retry') ctx.io.err(`${ti.runId} ${tiName(ti)}: ${ti.state} (try ${ti.tryNumber}) ${firstLine(ti.error)}`);
    },
  });
  const stop = () => void scheduler.stop();
  process.once('SIGINT', stop);
  const started = Date.now();
  try {
    await scheduler.start();
    if (!ctx.json) ctx.io.err(`backfilling ${dagId}: ${dates.length} interval(s) from ${formatDateIn(dates[0]!, dag.timezone)} to ${formatDateIn(dates.at(-1)!, dag.timezone)}${maxActiveRuns ? `, ${maxActiveRuns} at once` : ''}`);
    await scheduler.backfill(dagId, from, to, { ...(maxActiveRuns !== undefined && { maxActiveRuns }), conf: params });
    const all = (await store.listDagRuns({ dagId })).filter((r) => dates.includes(r.logicalDate));
    const failed = all.filter((r) => r.state !== 'success');
    if (ctx.json) ctx.io.out(dagJson({ dag: dagId, runs: all, failed: failed.length }));
    else {
      ctx.io.out(formatTable(RUN_HEADERS, runRows(all, dag.timezone)));
      ctx.io.out(`${all.length - failed.length} of ${all.length} run(s) succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return failed.length > 0 ? ExitCode.failed : ExitCode.ok;
  } finally {
    process.removeListener('SIGINT', stop);
    await scheduler.stop();
    await store.close();
  }
}

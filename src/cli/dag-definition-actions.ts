/**
 * `riffle dag list|show|test`: the DAGs of the folder, one DAG's definition, and one run of a DAG in this process
 * (for debugging; no store).
 */
import { formatDateIn, loadDagFolder, parseDateIn, testDag, type DagFileError, type DagRunRecord, type ParamValue, type TaskInstanceRecord } from '../orchestrator/index.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { loadDag, readStore, reportFileErrors, storeExists, withStore, type DagCtx } from './dag-store-access.ts';
import { checkedParams, confValues, dagContext, dagJson, firstLine, pausedWhenRecorded, tiName } from './dag-support.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import { formatTable } from './table.ts';
import { parseParamTokens } from './param-tokens.ts';

/** `riffle dag list`. */
export async function listAction(cmd: Command, io: CliIO): Promise<number> {
  return list(await dagContext(cmd, io));
}

/** `riffle dag show <dag>`. */
export async function showAction(cmd: Command, io: CliIO): Promise<number> {
  return show(await dagContext(cmd, io), cmd.processedArgs[0] as string);
}

/**
 * `riffle dag test <dag> <date> [--<param>=<value> ...] [--conf k=v ...]`: the params are the options commander does
 * not know (declared by the DAG), read as tokens.
 */
export async function testAction(cmd: Command, io: CliIO): Promise<number> {
  const [dagId, date] = cmd.processedArgs as [string, string];
  const { conf = [], param = [] } = cmd.opts<{ conf?: string[]; param?: string[] }>();
  const extra = cmd.args.slice(2);
  const { positionals, flags } = parseParamTokens(extra);
  if (positionals.length > 0) throw new UsageError(`riffle dag test: unexpected argument '${positionals[0]}'`, { hint: 'usage: riffle dag test <dag> <date> [--<param>=<value> ...]' });
  const params: ParamValue[] = [...Object.entries(flags).map(([k, v]): ParamValue => [k, v, 'text']), ...confValues(conf), ...confValues(param, '--param')];
  return test(await dagContext(cmd, io, { needsStore: false }), dagId, date, params);
}

async function list(ctx: DagCtx): Promise<number> {
  const { dags, errors } = await loadDagFolder(ctx.folder);
  reportFileErrors(errors, ctx.io);
  const paused = new Map<string, boolean>();
  if (storeExists(ctx)) await withStore(readStore(ctx), async (s) => { for (const d of await s.listDags()) paused.set(d.dagId, d.isPaused); });
  const rows = [...dags.values()].map((d) => ({ id: d.id, schedule: d.schedule.spec, paused: paused.get(d.id) ?? pausedWhenRecorded(d, ctx.io), tasks: d.tasks.length, tags: d.tags.join(','), file: d.fileloc }));
  ctx.io.out(ctx.json ? dagJson({ dags: rows, errors }) : formatTable(['dag', 'schedule', 'paused', 'tasks', 'tags', 'file'], rows.map((r) => [r.id, r.schedule ?? '-', r.paused ? 'yes' : 'no', r.tasks, r.tags, r.file])));
  return errors.length > 0 ? ExitCode.failed : ExitCode.ok;
}

async function show(ctx: DagCtx, dagId: string): Promise<number> {
  const dag = await loadDag(ctx, dagId);
  let record: { isPaused: boolean } | undefined;
  let last: DagRunRecord | undefined;
  if (storeExists(ctx)) {
    await withStore(readStore(ctx), async (s) => {
      record = await s.getDag(dagId);
      last = await s.latestDagRun(dagId);
    });
  }
  const tasks = dag.topologicalOrder().map((t) => ({
    id: t.id, kind: t.kind, upstream: [...t.upstreamIds], triggerRule: t.options.triggerRule, retries: t.options.retries, pool: t.options.pool,
    ...(t.isMapped && { expand: Object.values(t.expand) }), ...(t.sensor && { sensorMode: t.sensor.mode }),
  }));
  const info = {
    id: dag.id, description: dag.description ?? null, file: dag.fileloc, schedule: dag.schedule.spec, timezone: dag.timezone, startDate: formatDateIn(dag.startDate, dag.timezone),
    endDate: dag.endDate === undefined ? null : formatDateIn(dag.endDate, dag.timezone), catchup: dag.catchup, maxActiveRuns: dag.maxActiveRuns, maxActiveTasks: dag.maxActiveTasks,
    tags: [...dag.tags], params: dag.params, paramSpecs: dag.paramSpecs, paused: record?.isPaused ?? pausedWhenRecorded(dag, ctx.io), lastRun: last ? { runId: last.runId, state: last.state } : null, tasks,
  };
  if (ctx.json) {
    ctx.io.out(dagJson(info));
    return ExitCode.ok;
  }
  const lines = [
    `dag ${info.id}${info.description ? ` — ${info.description}` : ''}`,
    `  file         ${info.file}`,
    `  schedule     ${info.schedule ?? 'none (manual runs only)'} (${info.timezone}), from ${info.startDate}${info.endDate ? ` to ${info.endDate}` : ''}, catchup ${info.catchup ? 'on' : 'off'}`,
    `  limits       ${info.maxActiveRuns} active runs, ${info.maxActiveTasks} active tasks`,
    `  paused       ${info.paused ? 'yes' : 'no'}`,
    `  tags         ${info.tags.join(', ') || '-'}`,
    `  params       ${Object.keys(info.paramSpecs).length === 0 ? '-' : Object.entries(info.paramSpecs).map(([k, p]) => `${k} (${p.type}${p.default !== undefined ? `, default ${dagJson(p.default)}` : ', required'})`).join(', ')}`,
    `  last run     ${info.lastRun ? `${info.lastRun.runId} (${info.lastRun.state})` : '-'}`,
    '',
    formatTable(['task', 'kind', 'upstream', 'trigger rule', 'retries', 'pool'], tasks.map((t) => [t.id + (t.expand ? ' (mapped)' : ''), t.kind + (t.sensorMode ? ` (${t.sensorMode})` : ''), t.upstream.join(',') || '-', t.triggerRule, t.retries, t.pool])),
  ];
  ctx.io.out(lines.join('\n'));
  return ExitCode.ok;
}

async function test(ctx: DagCtx, dagId: string, date: string, raw: ParamValue[]): Promise<number> {
  const fileErrors: DagFileError[] = [];
  const dag = await loadDag(ctx, dagId, fileErrors);
  const logicalDate = parseDateIn(date, dag.timezone, 'date');
  const params = checkedParams(dag, raw, '--');
  const { io, json } = ctx;
  const started = Date.now();
  const onTaskState = json ? undefined : (ti: TaskInstanceRecord) => {
    const elapsed = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
    const detail = ti.state === 'running' ? `try ${ti.tryNumber}` : ti.duration !== null ? `${ti.duration} ms` : '';
    io.err(`[${elapsed}s] ${tiName(ti).padEnd(28)} ${ti.state.padEnd(16)} ${detail}${ti.error && ti.state !== 'success' ? `  ${firstLine(ti.error)}` : ''}`);
  };
  const result = await testDag(dag, logicalDate, { conf: params, onTaskState });
  if (json) {
    io.out(dagJson({ dag: dag.id, run: result.run, tasks: result.tasks, fileErrors }));
  } else {
    io.out(`dag ${dag.id}, logical date ${formatDateIn(result.run.logicalDate, dag.timezone)}: ${result.run.state} in ${Date.now() - started} ms`);
    io.out(formatTable(['task', 'state', 'tries', 'duration ms', 'error'], result.tasks.map((t) => [tiName(t), t.state, t.tryNumber, t.duration, t.state === 'failed' ? firstLine(t.error) : ''])));
  }
  return result.run.state === 'success' ? ExitCode.ok : ExitCode.failed;
}

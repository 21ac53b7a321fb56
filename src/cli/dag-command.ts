/**
 * `riffle dag <command> ...` and `riffle scheduler`: the orchestrator's commands (see DAG_HELP and SCHEDULER_HELP).
 * Definitions come from the DAG folder (`--dags`, default ./dags): a file that fails to import, or has a cycle, is
 * reported and the others still load. Runs, task instances and logs come from the metadata store (`--store`,
 * default .riffle/orchestrator), opened read-only for queries so that they work while a scheduler runs. Commands
 * that change state open the store for writing, or, while a scheduler holds it, go to that scheduler's inbox.
 * Exit codes: 0 done, 1 a run or command failed, 2 usage (unknown dag, run, task or option).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  clearTaskInstances, drainInbox, orchestratorMetrics, formatDateIn, JournalStore, loadDagFolder, markTaskInstances, MetadataStoreError, openMetadataStore, parseDateIn, parseStoreSpec,
  pendingCommands, ProcessExecutor, requireRun, Scheduler, SchedulerError, selectTasks, setDagPaused, submitCommand, testDag, triggerDagRun,
  resolveParams, type Dag, type DagFileError, type ParamValue, type DagRunRecord, type DagRunState, type InboxCommand, type MetadataStore, type StoreSpec, type TaskInstanceRecord,
} from '../orchestrator/index.ts';
import { parseDuration } from '../model/index.ts';
import { parseArgs } from './args.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { DAG_HELP, SCHEDULER_HELP } from './help.ts';
import { formatTable } from './table.ts';

export { DAG_HELP, SCHEDULER_HELP };

const BOOLEANS = ['json', 'help', 'downstream', 'once'];
const COMMON = ['dags', 'store', 'json', 'help'];
const DEFAULT_STORE = '.riffle/orchestrator';
const RUN_STATES: readonly DagRunState[] = ['queued', 'running', 'success', 'failed'];

/** Options each command accepts (beyond COMMON); `test` takes any `--<param>`. */
const OPTIONS: Record<string, { args: string; options: readonly string[] }> = {
  list: { args: '', options: [] },
  show: { args: '<dag>', options: [] },
  trigger: { args: '<dag>', options: ['logical-date'] },
  backfill: { args: '<dag> --start <date> --end <date>', options: ['start', 'end', 'max-active-runs', 'parallelism'] },
  runs: { args: '<dag>', options: ['state', 'limit'] },
  tasks: { args: '<dag> <run>', options: [] },
  logs: { args: '<dag> <run> <task>', options: ['try'] },
  clear: { args: '<dag> <run> --task <task>', options: ['task', 'downstream'] },
  mark: { args: '<dag> <run> --task <task> --state success|failed', options: ['task', 'state', 'downstream'] },
  stats: { args: '', options: ['dag', 'since'] },
  pause: { args: '<dag>', options: [] },
  unpause: { args: '<dag>', options: [] },
};

interface Parsed {
  positionals: string[];
  flags: Record<string, string | boolean>;
  /** `--conf k=v` / `--param k=v` (text) and `--conf '{"k": 1}'` (typed) (repeatable), in order. */
  conf: ParamValue[];
  /** `--pool name=slots` (repeatable). */
  pools: Record<string, number>;
}

/** Takes the repeatable `--pool name=slots` out of argv: slots per pool for the scheduler (default_pool has 128). */
function takePools(argv: readonly string[]): { rest: string[]; pools: Record<string, number> } {
  const rest: string[] = [];
  const pools: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--pool(?:=(.*))?$/.exec(argv[i]!);
    if (!m) {
      rest.push(argv[i]!);
      continue;
    }
    const value = m[1] ?? argv[++i];
    const pair = value === undefined ? null : /^([\w.-]+)=(\d+)$/.exec(value.trim());
    if (!pair) throw new UsageError(`--pool ${value ?? ''}: expected name=slots`, { hint: 'e.g. --pool db=4 (repeat --pool for several pools; default_pool has 128 slots unless given)' });
    pools[pair[1]!] = Number(pair[2]);
  }
  return { rest, pools };
}

/** Warns about tasks whose pool has fewer slots than they take: their instances would wait for ever. */
function warnPoolsTooSmall(dags: Iterable<Dag>, given: Record<string, number>, io: CliIO): void {
  const pools: Record<string, number> = { default_pool: 128, ...given };
  const waiting = new Map<string, string[]>();
  for (const d of dags) {
    for (const t of d.tasks) if ((pools[t.options.pool] ?? 0) < t.options.poolSlots) waiting.set(t.options.pool, [...(waiting.get(t.options.pool) ?? []), `${d.id}.${t.id}`]);
  }
  for (const [pool, tasks] of waiting) {
    io.err(`warning: pool '${pool}' has ${pools[pool] ?? 0} slot(s), too few for ${tasks.slice(0, 3).join(', ')}${tasks.length > 3 ? ` and ${tasks.length - 3} more` : ''}, which will wait; pass --pool ${pool}=<slots>`);
  }
}

/** Takes the repeatable `--conf`/`--param` pairs and `--pool` out of argv, then parses the rest. */
function parse(argv: readonly string[]): Parsed {
  const taken = takePools(argv);
  argv = taken.rest;
  const rest: string[] = [];
  const conf: ParamValue[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(conf|param)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`, { hint: `write --${m[1]} name=value, or --conf '{"name": 1}'` });
    if (value.trim().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(value);
      } catch (e) {
        throw new UsageError(`--${m[1]}: cannot read ${value} as JSON: ${(e as Error).message}`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UsageError(`--${m[1]}: ${value} is not a JSON object`, { hint: `write --${m[1]} '{"name": 1}'` });
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) conf.push([k, v, 'typed']);
      continue;
    }
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${m[1]} ${value}: expected name=value`);
    conf.push([value.slice(0, eq), value.slice(eq + 1), 'text']);
  }
  const { positionals, flags } = parseArgs(rest, { booleans: BOOLEANS });
  return { positionals, flags, conf, pools: taken.pools };
}

/**
 * The params of a run from the command line, checked against the DAG's declarations and merged over their defaults
 * (text is read as the param's type); an unknown name or a bad value is a ConfigError (exit 2) naming each problem.
 */
function checkedParams(dag: Dag, given: readonly ParamValue[], label: string): Record<string, unknown> {
  return resolveParams(dag, given, 'text', { label });
}

function checkOptions(command: string, flags: Record<string, string | boolean>): void {
  const allowed = [...COMMON, ...OPTIONS[command]!.options];
  for (const name of Object.keys(flags)) {
    if (!allowed.includes(name)) {
      throw new UsageError(`unknown option --${name} for 'riffle dag ${command}'`, { hint: `usage: riffle dag ${command} ${OPTIONS[command]!.args}${OPTIONS[command]!.options.filter((o) => !OPTIONS[command]!.args.includes(o)).map((o) => ` [--${o}]`).join('')} (riffle dag --help)` });
    }
  }
}

function stringFlag(flags: Record<string, string | boolean>, name: string): string | undefined {
  const v = flags[name];
  if (v === undefined || v === false) return undefined;
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

function intFlag(flags: Record<string, string | boolean>, name: string, min = 1): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

function need(values: readonly (string | undefined)[], command: string): string[] {
  const { args } = OPTIONS[command]!;
  const wanted = args.split(' --')[0]!.split(' ').filter((a) => a.startsWith('<')).length;
  if (values.length < wanted || values.slice(0, wanted).some((v) => v === undefined)) {
    throw new UsageError(`missing arguments for 'riffle dag ${command}'`, { hint: `usage: riffle dag ${command} ${args}` });
  }
  if (values.length > wanted) throw new UsageError(`unexpected argument '${values[wanted]}' for 'riffle dag ${command}'`, { hint: `usage: riffle dag ${command} ${args}` });
  return values as string[];
}

export async function dagCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags, conf, pools } = parse(argv);
  const [sub, ...args] = positionals;
  if (sub === undefined || flags.help === true) {
    io[sub === undefined && flags.help !== true ? 'err' : 'out'](DAG_HELP);
    return flags.help === true ? ExitCode.ok : ExitCode.usage;
  }
  // `dag test` uses no store: a bad --store or RIFFLE_ORCHESTRATOR_STORE matters only to the other commands.
  const storeArg = storeArgOf(flags, io);
  const store: StoreSpec = sub === 'test' ? { kind: 'journal', dir: storeArg } : storeSpecOf(storeArg);
  const ctx: Ctx = { folder: stringFlag(flags, 'dags') ?? 'dags', store, storeDir: store.kind === 'journal' ? store.dir : '', json: flags.json === true, io };
  if (sub === 'test') {
    const [dagId, date] = args;
    if (dagId === undefined || date === undefined) throw new UsageError('missing the DAG id or the date', { hint: 'riffle dag test <dag-id> <date, e.g. 2024-01-01> --dags <folder>' });
    const params: ParamValue[] = [...Object.entries(flags).filter(([k]) => ![...COMMON, ...BOOLEANS].includes(k)).map(([k, v]): ParamValue => [k, v, 'text']), ...conf];
    return test(ctx, dagId, date, params);
  }
  if (OPTIONS[sub] === undefined) throw new UsageError(`unknown dag command '${sub}'`, { hint: `commands: test, ${Object.keys(OPTIONS).join(', ')} (riffle dag --help)` });
  checkOptions(sub, flags);
  if (conf.length > 0 && !['trigger', 'backfill'].includes(sub)) throw new UsageError(`'riffle dag ${sub}' takes no --conf`);
  if (Object.keys(pools).length > 0 && !['backfill', 'stats'].includes(sub)) throw new UsageError(`'riffle dag ${sub}' takes no --pool`, { hint: 'pools are given to whatever runs tasks: riffle scheduler --pool, riffle dag backfill --pool' });
  switch (sub) {
    case 'list':
      need(args, sub);
      return list(ctx);
    case 'show':
      return show(ctx, need(args, sub)[0]!);
    case 'trigger':
      return trigger(ctx, need(args, sub)[0]!, conf, stringFlag(flags, 'logical-date'));
    case 'backfill': {
      const start = stringFlag(flags, 'start');
      const end = stringFlag(flags, 'end');
      if (start === undefined || end === undefined) throw new UsageError('backfill needs --start and --end', { hint: `usage: riffle dag backfill ${OPTIONS.backfill!.args} [--max-active-runs N]` });
      return backfill(ctx, need(args, sub)[0]!, start, end, conf, { maxActiveRuns: intFlag(flags, 'max-active-runs'), parallelism: intFlag(flags, 'parallelism'), pools });
    }
    case 'runs': {
      const state = stringFlag(flags, 'state');
      if (state !== undefined && !RUN_STATES.includes(state as DagRunState)) throw new UsageError(`unknown run state '${state}'`, { hint: `use one of ${RUN_STATES.join(', ')}` });
      return runs(ctx, need(args, sub)[0]!, state as DagRunState | undefined, intFlag(flags, 'limit'));
    }
    case 'tasks': {
      const [dagId, run] = need(args, sub);
      return tasks(ctx, dagId!, run!);
    }
    case 'logs': {
      const [dagId, run, task] = need(args, sub);
      return logs(ctx, dagId!, run!, task!, intFlag(flags, 'try'));
    }
    case 'clear':
    case 'mark': {
      const [dagId, run] = need(args, sub);
      const taskList = stringFlag(flags, 'task')?.split(',').map((t) => t.trim()).filter(Boolean);
      if (!taskList || taskList.length === 0) throw new UsageError(`${sub} needs --task <task id or group id>`, { hint: `usage: riffle dag ${sub} ${OPTIONS[sub]!.args}` });
      const downstream = flags.downstream === true;
      if (sub === 'clear') return changeTasks(ctx, dagId!, run!, { op: 'clear', tasks: taskList, downstream });
      const state = stringFlag(flags, 'state');
      if (state !== 'success' && state !== 'failed') throw new UsageError(`mark needs --state success or --state failed${state ? `, got '${state}'` : ''}`);
      return changeTasks(ctx, dagId!, run!, { op: 'mark', tasks: taskList, downstream, state });
    }
    case 'stats':
      need(args, sub);
      return stats(ctx, stringFlag(flags, 'dag'), stringFlag(flags, 'since'), pools);
    case 'pause':
    case 'unpause':
      return pause(ctx, need(args, sub)[0]!, sub === 'pause');
  }
  return ExitCode.usage;
}

interface Ctx {
  folder: string;
  store: StoreSpec;
  /** The journal store's directory ('' for PostgreSQL). */
  storeDir: string;
  json: boolean;
  io: CliIO;
}

// ---- helpers ----

/** `--store`, else $RIFFLE_ORCHESTRATOR_STORE, else the default directory. */
function storeArgOf(flags: Record<string, string | boolean>, io: CliIO): string {
  return stringFlag(flags, 'store') ?? (io.env.RIFFLE_ORCHESTRATOR_STORE || DEFAULT_STORE);
}

/** Reads the store location; a malformed URL is a usage error, reported before any work. */
function storeSpecOf(arg: string): StoreSpec {
  try {
    return parseStoreSpec(arg);
  } catch (e) {
    if (e instanceof MetadataStoreError) throw new UsageError(`--store: ${e.message}`);
    throw e;
  }
}

/** Whether there is a store to read (a PostgreSQL store always is: its schema is made on open). */
function storeExists(ctx: Ctx): boolean {
  return ctx.store.kind === 'postgres' || existsSync(ctx.storeDir);
}

/** Where task processes find the store (an absolute directory, or the URL). */
function storeLocation(spec: StoreSpec): string {
  return spec.kind === 'journal' ? resolve(spec.dir) : `${spec.connectionString}${spec.connectionString.includes('?') ? '&' : '?'}schema=${spec.schema}`;
}

/** Where the store is, for messages (no password). */
function storeName(spec: StoreSpec): string {
  return spec.kind === 'journal' ? spec.dir : `postgres://${spec.user}@${spec.host}:${spec.port}/${spec.database} (schema ${spec.schema})`;
}

function reportFileErrors(errors: readonly DagFileError[], io: CliIO): void {
  for (const e of errors) io.err(`warning: ${e.file}: ${e.error.split('\n')[0]}`);
}

async function loadDag(ctx: Ctx, dagId: string, fileErrors: DagFileError[] = []): Promise<Dag> {
  const { dags, errors } = await loadDagFolder(ctx.folder);
  reportFileErrors(errors, ctx.io);
  fileErrors.push(...errors);
  const dag = dags.get(dagId);
  if (!dag) {
    throw new UsageError(`no dag '${dagId}' in ${ctx.folder}`, { hint: `dags found: ${[...dags.keys()].join(', ') || 'none'}${errors.length > 0 ? ` (${errors.length} file(s) failed to load, see above)` : ''}; --dags <folder> picks the folder` });
  }
  return dag;
}

/** Where the store's warnings go (a torn last journal record cut on open). */
const warnTo = (io: CliIO) => (message: string) => io.err(`warning: ${message}`);

/** Opens the store read-only (queries work while a scheduler holds it). */
async function readStore(ctx: Ctx): Promise<MetadataStore> {
  if (ctx.store.kind === 'postgres') return openMetadataStore(ctx.store);
  if (!existsSync(ctx.storeDir)) {
    throw new UsageError(`no metadata store at ${ctx.storeDir}`, { hint: "run 'riffle scheduler --dags <folder>' (or trigger a run) to create it, or pass --store <path>" });
  }
  return JournalStore.open({ dir: ctx.storeDir, readOnly: true, onWarning: warnTo(ctx.io) });
}

/** Opens the store for writing; undefined while a scheduler holds it (a PostgreSQL store is never held). */
async function writeStore(ctx: Ctx): Promise<MetadataStore | undefined> {
  if (ctx.store.kind === 'postgres') return openMetadataStore(ctx.store);
  try {
    return await JournalStore.open({ dir: ctx.storeDir, onWarning: warnTo(ctx.io) });
  } catch (e) {
    if (e instanceof MetadataStoreError && e.code === 'STORE_LOCKED') return undefined;
    throw e;
  }
}

async function withStore<T>(open: Promise<MetadataStore>, fn: (store: MetadataStore) => Promise<T>): Promise<T> {
  const store = await open;
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Unknown DAG, run or task are usage errors (exit 2); other scheduler refusals are failures (exit 1). */
function asUsage(e: unknown): never {
  if (e instanceof SchedulerError && ['DAG_NOT_FOUND', 'RUN_NOT_FOUND'].includes(e.code)) throw new UsageError(e.message);
  if (e instanceof Error && e.name === 'DagDefinitionError' && /has no task/.test(e.message)) throw new UsageError(e.message);
  throw e;
}

/** A run given by id, or by its logical date. */
async function resolveRun(store: MetadataStore, dagId: string, arg: string): Promise<DagRunRecord> {
  const byId = await store.getDagRun(dagId, arg);
  if (byId) return byId;
  if (/^\d{4}-\d\d-\d\d/.test(arg)) {
    const tz = (await store.getDag(dagId))?.timezone ?? 'UTC';
    let t: number | undefined;
    try {
      t = parseDateIn(arg, tz);
    } catch {
      t = undefined;
    }
    const match = t === undefined ? undefined : (await store.listDagRuns({ dagId })).find((r) => r.logicalDate === t);
    if (match) return match;
  }
  return requireRun(store, dagId, arg).catch(asUsage);
}

async function requireKnownDag(store: MetadataStore, dagId: string): Promise<void> {
  if (await store.getDag(dagId)) return;
  if ((await store.listDagRuns({ dagId })).length > 0) return;
  const known = (await store.listDags()).map((d) => d.dagId);
  throw new UsageError(`the metadata store has no dag '${dagId}'`, { hint: `dags in the store: ${known.join(', ') || 'none'} (a scheduler records the dags of its folder)` });
}

const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString().replace('.000Z', 'Z'));
const seconds = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
const tiName = (ti: TaskInstanceRecord) => `${ti.taskId}${ti.mapIndex >= 0 ? `[${ti.mapIndex}]` : ''}`;
const runDuration = (r: DagRunRecord) => (r.startDate !== null && r.endDate !== null ? r.endDate - r.startDate : null);
const firstLine = (s: string | null) => (s ?? '').split('\n')[0]!;

function runRows(runs: readonly DagRunRecord[], tz: string): (string | number | null)[][] {
  return runs.map((r) => [r.runId, r.runType, formatDateIn(r.logicalDate, tz), r.state, iso(r.startDate), iso(r.endDate), seconds(runDuration(r))]);
}
const RUN_HEADERS = ['run id', 'type', 'logical date', 'state', 'started', 'ended', 'duration s'];

// ---- definitions ----

async function list(ctx: Ctx): Promise<number> {
  const { dags, errors } = await loadDagFolder(ctx.folder);
  reportFileErrors(errors, ctx.io);
  const paused = new Map<string, boolean>();
  if (storeExists(ctx)) await withStore(readStore(ctx), async (s) => { for (const d of await s.listDags()) paused.set(d.dagId, d.isPaused); });
  const rows = [...dags.values()].map((d) => ({ id: d.id, schedule: d.schedule.spec, paused: paused.get(d.id) ?? pausedWhenRecorded(d, ctx.io), tasks: d.tasks.length, tags: d.tags.join(','), file: d.fileloc }));
  ctx.io.out(ctx.json ? JSON.stringify({ dags: rows, errors }, null, 2) : formatTable(['dag', 'schedule', 'paused', 'tasks', 'tags', 'file'], rows.map((r) => [r.id, r.schedule ?? '-', r.paused ? 'yes' : 'no', r.tasks, r.tags, r.file])));
  return errors.length > 0 ? ExitCode.failed : ExitCode.ok;
}

async function show(ctx: Ctx, dagId: string): Promise<number> {
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
    ctx.io.out(JSON.stringify(info, null, 2));
    return ExitCode.ok;
  }
  const lines = [
    `dag ${info.id}${info.description ? ` — ${info.description}` : ''}`,
    `  file         ${info.file}`,
    `  schedule     ${info.schedule ?? 'none (manual runs only)'} (${info.timezone}), from ${info.startDate}${info.endDate ? ` to ${info.endDate}` : ''}, catchup ${info.catchup ? 'on' : 'off'}`,
    `  limits       ${info.maxActiveRuns} active runs, ${info.maxActiveTasks} active tasks`,
    `  paused       ${info.paused ? 'yes' : 'no'}`,
    `  tags         ${info.tags.join(', ') || '-'}`,
    `  params       ${Object.keys(info.paramSpecs).length === 0 ? '-' : Object.entries(info.paramSpecs).map(([k, p]) => `${k} (${p.type}${p.default !== undefined ? `, default ${JSON.stringify(p.default)}` : ', required'})`).join(', ')}`,
    `  last run     ${info.lastRun ? `${info.lastRun.runId} (${info.lastRun.state})` : '-'}`,
    '',
    formatTable(['task', 'kind', 'upstream', 'trigger rule', 'retries', 'pool'], tasks.map((t) => [t.id + (t.expand ? ' (mapped)' : ''), t.kind + (t.sensorMode ? ` (${t.sensorMode})` : ''), t.upstream.join(',') || '-', t.triggerRule, t.retries, t.pool])),
  ];
  ctx.io.out(lines.join('\n'));
  return ExitCode.ok;
}

async function test(ctx: Ctx, dagId: string, date: string, raw: ParamValue[]): Promise<number> {
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
    io.out(JSON.stringify({ dag: dag.id, run: result.run, tasks: result.tasks, fileErrors }, null, 2));
  } else {
    io.out(`dag ${dag.id}, logical date ${formatDateIn(result.run.logicalDate, dag.timezone)}: ${result.run.state} in ${Date.now() - started} ms`);
    io.out(formatTable(['task', 'state', 'tries', 'duration ms', 'error'], result.tasks.map((t) => [tiName(t), t.state, t.tryNumber, t.duration, t.state === 'failed' ? firstLine(t.error) : ''])));
  }
  return result.run.state === 'success' ? ExitCode.ok : ExitCode.failed;
}

// ---- changes ----

/** Sends a command to the scheduler holding the store, and waits (briefly) until it has picked it up. */
async function sendToScheduler(ctx: Ctx, command: InboxCommand): Promise<void> {
  const file = submitCommand(ctx.storeDir, command);
  for (let i = 0; i < 50 && pendingCommands(ctx.storeDir).includes(file); i++) await new Promise((r) => setTimeout(r, 100));
  const picked = !pendingCommands(ctx.storeDir).includes(file);
  ctx.io.err(picked
    ? 'a scheduler holds the store: it applied the command (its output says whether it succeeded)'
    : 'a scheduler holds the store: the command is in its inbox and applies at its next pass');
}

async function trigger(ctx: Ctx, dagId: string, conf: ParamValue[], date: string | undefined): Promise<number> {
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
    ctx.io.out(ctx.json ? JSON.stringify({ run: planned, via: 'scheduler inbox' }, null, 2) : `triggered ${dagId}: ${planned.runId}`);
    return ExitCode.ok;
  }
  const run = await withStore(Promise.resolve(store), (s) => triggerDagRun(s, dag, { ...(logicalDate !== undefined && { logicalDate }), conf: params }));
  ctx.io.out(ctx.json ? JSON.stringify({ run }, null, 2) : `triggered ${dagId}: ${run.runId} (queued; 'riffle scheduler' runs it)`);
  return ExitCode.ok;
}

async function changeTasks(ctx: Ctx, dagId: string, runArg: string, c: { op: 'clear'; tasks: string[]; downstream: boolean } | { op: 'mark'; tasks: string[]; downstream: boolean; state: 'success' | 'failed' }): Promise<number> {
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
    ctx.io.out(ctx.json ? JSON.stringify({ runId: run.runId, tasks: selectTasks(dag, c.tasks, c), via: 'scheduler inbox' }, null, 2) : `sent: ${c.op} ${selectTasks(dag, c.tasks, c).join(', ')} in ${run.runId}`);
    return ExitCode.ok;
  }
  return withStore(Promise.resolve(store), async (s) => {
    const run = await resolveRun(s, dagId, runArg);
    if (c.op === 'clear') {
      const r = await clearTaskInstances(s, dag, run.runId, c.tasks, { downstream: c.downstream });
      ctx.io.out(ctx.json ? JSON.stringify({ run: r.run, cleared: r.cleared.map(tiName) }, null, 2) : `cleared ${r.cleared.length} task instance(s) in ${run.runId}: ${r.cleared.map(tiName).join(', ')}\nrun ${run.runId} is ${r.run.state}; a scheduler runs them again`);
    } else {
      const r = await markTaskInstances(s, dag, run.runId, c.tasks, c.state, { downstream: c.downstream });
      ctx.io.out(ctx.json ? JSON.stringify({ run: r.run, marked: r.marked.map(tiName) }, null, 2) : `marked ${r.marked.length} task instance(s) ${c.state} in ${run.runId}${r.marked.length > 0 ? `: ${r.marked.map(tiName).join(', ')}` : ''}\nrun ${run.runId} is ${r.run.state}`);
    }
    return ExitCode.ok;
  });
}

async function pause(ctx: Ctx, dagId: string, paused: boolean): Promise<number> {
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
  ctx.io.out(ctx.json ? JSON.stringify({ dag: dagId, paused }) : `${paused ? 'paused' : 'unpaused'} ${dagId}`);
  return ExitCode.ok;
}

async function backfill(ctx: Ctx, dagId: string, startArg: string, endArg: string, conf: ParamValue[], o: { maxActiveRuns: number | undefined; parallelism: number | undefined; pools: Record<string, number> }): Promise<number> {
  const { maxActiveRuns, parallelism, pools } = o;
  const dag = await loadDag(ctx, dagId);
  const from = parseDateIn(startArg, dag.timezone, '--start');
  const to = parseDateIn(endArg, dag.timezone, '--end');
  if (from > to) throw new UsageError(`--start ${startArg} is after --end ${endArg}`);
  const dates = dag.schedule.logicalDatesBetween(from, to);
  if (dates.length === 0) throw new UsageError(`dag '${dagId}' has no interval starting between ${startArg} and ${endArg} (schedule ${dag.schedule.spec ?? 'none'})`);
  const params = checkedParams(dag, conf, '--conf ');
  const store = await openMetadataStore(ctx.store, { onWarning: warnTo(ctx.io) }).catch((e: unknown) => {
    if (e instanceof MetadataStoreError && e.code === 'STORE_LOCKED') {
      throw new MetadataStoreError('STORE_LOCKED', `${e.message.split('\n')[0]}: a backfill runs its own scheduler and needs the store to itself`, { hint: 'stop the running scheduler, or trigger single runs with riffle dag trigger --logical-date' });
    }
    throw e;
  });
  warnPoolsTooSmall([dag], pools, ctx.io);
  const scheduler = new Scheduler({
    store, dags: [dag], executor: new ProcessExecutor({ parallelism: parallelism ?? 8 }), scheduleRuns: false, runTypes: ['backfill'], pollMs: 200, storeLocation: storeLocation(ctx.store), pools,
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
    if (ctx.json) ctx.io.out(JSON.stringify({ dag: dagId, runs: all, failed: failed.length }, null, 2));
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

// ---- queries ----

async function runs(ctx: Ctx, dagId: string, state: DagRunState | undefined, limit: number | undefined): Promise<number> {
  return withStore(readStore(ctx), async (s) => {
    await requireKnownDag(s, dagId);
    const tz = (await s.getDag(dagId))?.timezone ?? 'UTC';
    let list = await s.listDagRuns({ dagId, ...(state && { states: [state] }) });
    if (limit !== undefined) list = list.slice(-limit);
    if (ctx.json) ctx.io.out(JSON.stringify({ dag: dagId, runs: list.map((r) => ({ ...r, duration: runDuration(r) })) }, null, 2));
    else ctx.io.out(list.length === 0 ? `no ${state ? `${state} ` : ''}runs of ${dagId}` : formatTable(RUN_HEADERS, runRows(list, tz)));
    return ExitCode.ok;
  });
}

async function tasks(ctx: Ctx, dagId: string, runArg: string): Promise<number> {
  return withStore(readStore(ctx), async (s) => {
    await requireKnownDag(s, dagId);
    const run = await resolveRun(s, dagId, runArg);
    const tis = (await s.listTaskInstances({ dagId, runId: run.runId })).sort((a, b) => (a.startDate ?? Infinity) - (b.startDate ?? Infinity) || a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex);
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ run: { ...run, duration: runDuration(run) }, tasks: tis }, null, 2));
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

async function logs(ctx: Ctx, dagId: string, runArg: string, taskArg: string, tryNumber: number | undefined): Promise<number> {
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
    if (ctx.json) ctx.io.out(JSON.stringify({ dag: dagId, runId: run.runId, task: taskArg, try: attempt, of: ti.tryNumber, state: ti.state, log: text }, null, 2));
    else {
      ctx.io.err(`${dagId} ${run.runId} ${taskArg}: attempt ${attempt} of ${ti.tryNumber} (${ti.state})`);
      ctx.io.out(text === '' ? '(empty log)' : text.replace(/\n$/, ''));
    }
    return ExitCode.ok;
  });
}

/** `riffle dag stats`: the orchestrator's metrics (what the console shows). */
async function stats(ctx: Ctx, dagId: string | undefined, sinceArg: string | undefined, pools: Record<string, number>): Promise<number> {
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
      ctx.io.out(JSON.stringify(m, null, 2));
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

// ---- riffle scheduler ----

const SCHEDULER_OPTIONS = ['dags', 'store', 'once', 'parallelism', 'json', 'help', 'poll-ms', 'grace', 'dags-paused-at-creation'];

/** Whether a DAG not yet in the store will start paused (what `dag list` and `dag show` say of it). */
function pausedWhenRecorded(d: Dag, io: CliIO): boolean {
  return d.isPausedUponCreation ?? !/^(false|0|no)$/i.test(io.env.RIFFLE_DAGS_ARE_PAUSED_AT_CREATION ?? '');
}

/** `--dags-paused-at-creation true|false`, else $RIFFLE_DAGS_ARE_PAUSED_AT_CREATION, else true (as Airflow). */
function pausedAtCreationOf(flags: Record<string, string | boolean>, io: CliIO): boolean {
  const flag = flags['dags-paused-at-creation'];
  const [value, from] = flag !== undefined ? [String(flag), '--dags-paused-at-creation'] : [io.env.RIFFLE_DAGS_ARE_PAUSED_AT_CREATION, 'RIFFLE_DAGS_ARE_PAUSED_AT_CREATION'];
  if (value === undefined || value === '') return true;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`${from} must be true or false, got '${value}'`);
}

/** `--grace`: a duration with a unit (30s, 500ms, 2m), or 0; default 30 s. */
function graceFlag(flags: Record<string, string | boolean>): number {
  const v = stringFlag(flags, 'grace');
  if (v === undefined) return 30_000;
  if (/^0+$/.test(v.trim())) return 0;
  if (!/^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$/.test(v)) throw new UsageError(`--grace must be a duration such as 30s, 500ms or 2m (or 0), got '${v}'`);
  return parseDuration(v, '--grace');
}

/** `riffle scheduler`: the scheduler and its worker processes, until Ctrl-C (or, with --once, until idle). */
export async function schedulerCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { rest, pools } = takePools(argv);
  const { positionals, flags } = parseArgs(rest, { booleans: BOOLEANS });
  if (flags.help === true) {
    io.out(SCHEDULER_HELP);
    return ExitCode.ok;
  }
  for (const name of Object.keys(flags)) if (!SCHEDULER_OPTIONS.includes(name)) throw new UsageError(`unknown option --${name} for 'riffle scheduler'`, { hint: 'riffle scheduler --dags <folder> [--store <path>] [--once] [--parallelism N]' });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, { hint: 'riffle scheduler --dags <folder> [--store <path>] [--once] [--grace 30s]' });
  const folder = stringFlag(flags, 'dags') ?? 'dags';
  const spec = storeSpecOf(storeArgOf(flags, io));
  // The command inbox is the journal store's (one writer); a PostgreSQL store takes commands directly.
  const storeDir = spec.kind === 'journal' ? spec.dir : undefined;
  const once = flags.once === true;
  const json = flags.json === true;
  const graceMs = graceFlag(flags);
  const dagsArePausedAtCreation = pausedAtCreationOf(flags, io);
  const { dags, errors } = await loadDagFolder(folder);
  reportFileErrors(errors, io);
  if (dags.size === 0) throw new UsageError(`no DAGs in ${folder}`, { hint: errors.length > 0 ? `${errors.length} file(s) failed to load, see above` : 'pass --dags <folder>' });
  warnPoolsTooSmall(dags.values(), pools, io);
  const store = await openMetadataStore(spec, { onWarning: warnTo(io) });
  const touched = new Set<string>();
  const started = Date.now();
  const scheduler = new Scheduler({
    store, dags: dags.values(), executor: new ProcessExecutor({ parallelism: intFlag(flags, 'parallelism') ?? 8 }), pollMs: intFlag(flags, 'poll-ms') ?? 500, storeLocation: storeLocation(spec), pools, dagsArePausedAtCreation,
    beforePass: storeDir === undefined ? undefined : async () => {
      await drainInbox(storeDir, store, dags, (message, error) => io.err(error ? `${message}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` : message));
    },
    onTaskState: (ti) => {
      touched.add(`${ti.dagId}\u0000${ti.runId}`);
      if (!json) io.err(`${new Date().toISOString().slice(11, 23)} ${ti.dagId} ${ti.runId} ${tiName(ti).padEnd(24)} ${ti.state.padEnd(16)} ${ti.state === 'running' ? `try ${ti.tryNumber}` : ti.duration !== null ? `${ti.duration} ms` : ''}${ti.error && ti.state !== 'success' && ti.state !== 'running' ? `  ${firstLine(ti.error)}` : ''}`);
    },
  });
  // The first Ctrl-C (or SIGTERM) drains: no new work, running attempts get --grace to finish, the rest are handed
  // back (ready again, their try not counted). A second one cuts the grace short.
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      if (!json) io.err(`stopping: no new work; running attempts have ${graceMs / 1000} s to finish (Ctrl-C again to hand them back now)`);
      stopRequested();
    } else scheduler.stopNow();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await scheduler.start();
    if (!json) io.err(`scheduler ${scheduler.id}: ${dags.size} dag(s) from ${folder}, store ${storeName(spec)}${once ? ', until idle' : '; Ctrl-C stops'}`);
    if (!once) {
      await stopped;
      return ExitCode.ok;
    }
    const ids = new Set(dags.keys());
    let interrupted = false;
    void stopped.then(() => (interrupted = true));
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (interrupted) break;
      const active = (await store.listDagRuns({ states: ['queued', 'running'] })).filter((r) => ids.has(r.dagId));
      if (active.length === 0 && (storeDir === undefined || pendingCommands(storeDir).length === 0)) break;
    }
    const processed = (await store.listDagRuns()).filter((r) => touched.has(`${r.dagId}\u0000${r.runId}`) && ids.has(r.dagId));
    const failed = processed.filter((r) => r.state === 'failed');
    if (json) io.out(JSON.stringify({ runs: processed.map((r) => ({ ...r, duration: runDuration(r) })), failed: failed.length, interrupted }, null, 2));
    else {
      io.out(processed.length === 0 ? 'nothing was due' : formatTable(['dag', ...RUN_HEADERS], processed.map((r) => [r.dagId, ...runRows([r], dags.get(r.dagId)!.timezone)[0]!])));
      io.err(`idle after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return interrupted ? ExitCode.cancelled : failed.length > 0 ? ExitCode.failed : ExitCode.ok;
  } finally {
    await scheduler.stop({ graceMs: signals > 1 ? 0 : graceMs });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await store.close();
  }
}

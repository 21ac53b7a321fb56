/**
 * What the `riffle dag` and `riffle scheduler` actions share: their context from the command line and the project's
 * defaults, the repeatable `--conf`/`--pool` values, number options, and how runs and task instances print (tables,
 * and JSON with ISO-8601 times: the store keeps epoch milliseconds, the printed JSON does not).
 */
import {
  formatDateIn, RemoteLogFolder, resolveParams, type Dag, type DagRunRecord, type ParamValue, type TaskInstanceRecord,
} from '../orchestrator/index.ts';
import { UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { projectDefaults } from './project-defaults.ts';
import { DEFAULT_STORE, storeSpecOf, type DagCtx } from './dag-store-access.ts';

/** The options every dag command has (declared on `riffle dag`). */
export interface DagCommonOptions {
  dags?: string;
  store?: string;
  json?: boolean;
}

/**
 * The context of a dag command: the DAG folder and the store from the flags, else the project's defaults (project
 * file < environment), else ./dags and .riffle/orchestrator. `dag test` uses no store: a bad one matters only to the
 * other commands.
 */
export async function dagContext(cmd: Command, io: CliIO, o: { needsStore?: boolean } = {}): Promise<DagCtx> {
  const opts = cmd.optsWithGlobals<DagCommonOptions>();
  const defaults = await projectDefaults(cmd, io);
  const storeArg = opts.store ?? defaults.store ?? DEFAULT_STORE;
  const store = o.needsStore === false ? { kind: 'journal' as const, dir: storeArg } : storeSpecOf(storeArg);
  const remoteLogs = defaults.remoteLogFolder !== undefined ? new RemoteLogFolder(defaults.remoteLogFolder) : undefined;
  return { folder: opts.dags ?? defaults.dags ?? 'dags', store, storeDir: store.kind === 'journal' ? store.dir : '', json: opts.json === true, io, ...(remoteLogs && { remoteLogs }) };
}

/**
 * `--conf k=v` / `--param k=v` (text) and `--conf '{"k": 1}'` (typed), in order.
 */
export function confValues(values: readonly string[], flag = '--conf'): ParamValue[] {
  const conf: ParamValue[] = [];
  for (const value of values) {
    if (value.trim().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(value);
      } catch (e) {
        throw new UsageError(`${flag}: cannot read ${value} as JSON: ${(e as Error).message}`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UsageError(`${flag}: ${value} is not a JSON object`, { hint: `write ${flag} '{"name": 1}'` });
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) conf.push([k, v, 'typed']);
      continue;
    }
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${value}: expected name=value`);
    conf.push([value.slice(0, eq), value.slice(eq + 1), 'text']);
  }
  return conf;
}

/** The repeatable `--pool name=slots`: slots per pool (default_pool has 128 unless given). */
export function poolsOf(values: readonly string[]): Record<string, number> {
  const pools: Record<string, number> = {};
  for (const value of values) {
    const pair = /^([\w.-]+)=(\d+)$/.exec(value.trim());
    if (!pair) throw new UsageError(`--pool ${value}: expected name=slots`, { hint: 'e.g. --pool db=4 (repeat --pool for several pools; default_pool has 128 slots unless given)' });
    pools[pair[1]!] = Number(pair[2]);
  }
  return pools;
}

/** A whole-number option ≥ `min` (`--limit`, `--try`, `--parallelism`), or undefined when not given. */
export function intOption(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** Warns about tasks whose pool has fewer slots than they take: their instances would wait for ever. */
export function warnPoolsTooSmall(dags: Iterable<Dag>, given: Record<string, number>, io: CliIO): void {
  const pools: Record<string, number> = { default_pool: 128, ...given };
  const waiting = new Map<string, string[]>();
  for (const d of dags) {
    for (const t of d.tasks) if ((pools[t.options.pool] ?? 0) < t.options.poolSlots) waiting.set(t.options.pool, [...(waiting.get(t.options.pool) ?? []), `${d.id}.${t.id}`]);
  }
  for (const [pool, tasks] of waiting) {
    io.err(`warning: pool '${pool}' has ${pools[pool] ?? 0} slot(s), too few for ${tasks.slice(0, 3).join(', ')}${tasks.length > 3 ? ` and ${tasks.length - 3} more` : ''}, which will wait; pass --pool ${pool}=<slots>`);
  }
}


/**
 * The params of a run from the command line, checked against the DAG's declarations and merged over their defaults
 * (text is read as the param's type); an unknown name or a bad value is a ConfigError (exit 2) naming each problem.
 */
export function checkedParams(dag: Dag, given: readonly ParamValue[], label: string): Record<string, unknown> {
  return resolveParams(dag, given, 'text', { label });
}

/** Whether a DAG not yet in the store will start paused (what `dag list` and `dag show` say of it). */
export function pausedWhenRecorded(d: Dag, io: CliIO): boolean {
  return d.isPausedUponCreation ?? !/^(false|0|no)$/i.test(io.env.RIFFLE_DAGS_ARE_PAUSED_AT_CREATION ?? '');
}

export const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString().replace('.000Z', 'Z'));
export const seconds = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
export const tiName = (ti: TaskInstanceRecord) => `${ti.taskId}${ti.mapIndex >= 0 ? `[${ti.mapIndex}]` : ''}`;
export const runDuration = (r: DagRunRecord) => (r.startDate !== null && r.endDate !== null ? r.endDate - r.startDate : null);
export const firstLine = (s: string | null) => (s ?? '').split('\n')[0]!;

export function runRows(runs: readonly DagRunRecord[], tz: string): (string | number | null)[][] {
  return runs.map((r) => [r.runId, r.runType, formatDateIn(r.logicalDate, tz), r.state, iso(r.startDate), iso(r.endDate), seconds(runDuration(r))]);
}
export const RUN_HEADERS = ['run id', 'type', 'logical date', 'state', 'started', 'ended', 'duration s'];

/**
 * The fields of runs, task instances and metrics that hold a time (epoch milliseconds in the store): printed JSON
 * shows them as ISO-8601 strings. Durations (`duration`, `*Ms`) stay milliseconds.
 */
const TIME_KEYS = new Set([
  'logicalDate', 'dataIntervalStart', 'dataIntervalEnd', 'queuedAt', 'startDate', 'endDate', 'scheduledAt', 'heartbeatAt',
  'nextAttemptAt', 'firstAttemptAt', 'updatedAt', 'generatedAt', 'since', 'lastSchedulingDecision', 'nextDagRun', 'lastParsedTime',
]);

/** Values that are the user's (a run's conf, a DAG's params, a task's log): printed as they are. */
const USER_KEYS = new Set(['conf', 'params', 'paramSpecs', 'log', 'result']);

/** `value` with every time field (TIME_KEYS, when a finite number) as an ISO-8601 string, at any depth. */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, USER_KEYS.has(k) ? v : TIME_KEYS.has(k) && typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : withIsoTimes(v)]));
}

/** The JSON document a dag command prints (times as ISO-8601). */
export function dagJson(value: unknown): string {
  return JSON.stringify(withIsoTimes(value), null, 2);
}

/**
 * Metrics of the orchestrator, computed from the metadata store (any implementation) for the console and
 * `riffle dag stats`: runs and task instances by state, run and task durations (p50/p95), queue latency (from
 * ready to started), pool usage, and the latest failures with their errors.
 * @example
 *   const m = await orchestratorMetrics(store, { since: Date.now() - 86_400_000, dags });
 *   m.tasks.find((t) => t.taskId === 'load')?.p95Ms
 */
import type { Dag } from './dag.ts';
import type { DagRunRecord, DagRunState, MetadataStore, TaskInstanceRecord, TaskState } from './metadata-store.ts';

export interface OrchestratorMetricsOptions {
  /** Only runs queued at or after this (ms since epoch), plus every run still queued or running. */
  since?: number;
  /** Only this DAG. */
  dagId?: string;
  /** DAG definitions, to list the pools their tasks use even while idle (an instance counts in the pool recorded on it). */
  dags?: Iterable<Dag>;
  /** Slots per pool, as the scheduler has them (default_pool: 128 unless given). */
  pools?: Record<string, number>;
  /** Failures listed (latest first; default 20). */
  failureLimit?: number;
  now?: number;
}

/** p50 / p95 / max of a set of durations (ms), nearest rank. */
export interface DurationSummary {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface OrchestratorMetrics {
  generatedAt: number;
  since: number | null;
  runs: { total: number; byState: Record<DagRunState, number>; byDag: Record<string, Record<DagRunState, number>> };
  taskInstances: { total: number; byState: Partial<Record<TaskState, number>> };
  /** Durations of finished runs, per DAG. */
  runDurations: ({ dagId: string } & DurationSummary)[];
  /** Durations of successful task attempts, per task. */
  tasks: ({ dagId: string; taskId: string; failed: number; retried: number } & DurationSummary)[];
  /** From ready (`scheduled`) to started (`running`), over the latest attempt of every instance that started. */
  queueLatency: DurationSummary;
  /** Slots taken by queued and running instances, per pool. */
  pools: { pool: string; slots: number; used: number; queued: number; running: number }[];
  /** Failed instances, latest first, with their error. */
  failures: { dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number; endDate: number | null; error: string | null }[];
}

const RUN_STATES: readonly DagRunState[] = ['queued', 'running', 'success', 'failed'];

/** Computes the metrics (one pass over the selected runs and their task instances). */
export async function orchestratorMetrics(store: MetadataStore, o: OrchestratorMetricsOptions = {}): Promise<OrchestratorMetrics> {
  const now = o.now ?? Date.now();
  const runs = (await store.listDagRuns(o.dagId === undefined ? {} : { dagId: o.dagId }))
    .filter((r) => o.since === undefined || r.queuedAt >= o.since || r.state === 'queued' || r.state === 'running');
  const runKeys = new Set(runs.map((r) => `${r.dagId}\u0000${r.runId}`));
  const tis = (await store.listTaskInstances(o.dagId === undefined ? {} : { dagId: o.dagId })).filter((t) => runKeys.has(`${t.dagId}\u0000${t.runId}`));

  const byDag: Record<string, Record<DagRunState, number>> = {};
  const byState = zeroRuns();
  for (const r of runs) {
    byState[r.state]++;
    (byDag[r.dagId] ??= zeroRuns())[r.state]++;
  }
  const tiStates: Partial<Record<TaskState, number>> = {};
  for (const t of tis) tiStates[t.state] = (tiStates[t.state] ?? 0) + 1;

  return {
    generatedAt: now,
    since: o.since ?? null,
    runs: { total: runs.length, byState, byDag },
    taskInstances: { total: tis.length, byState: tiStates },
    runDurations: runDurations(runs),
    tasks: taskDurations(tis),
    queueLatency: summarize(tis.filter((t) => t.startDate !== null && t.scheduledAt !== null && t.startDate >= t.scheduledAt).map((t) => t.startDate! - t.scheduledAt!)),
    pools: poolUsage(tis, o),
    failures: tis
      .filter((t) => t.state === 'failed')
      .sort((a, b) => (b.endDate ?? 0) - (a.endDate ?? 0))
      .slice(0, o.failureLimit ?? 20)
      .map((t) => ({ dagId: t.dagId, runId: t.runId, taskId: t.taskId, mapIndex: t.mapIndex, tryNumber: t.tryNumber, endDate: t.endDate, error: t.error })),
  };
}

/** Nearest-rank percentiles. */
export function summarize(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, p50Ms: null, p95Ms: null, maxMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { count: sorted.length, p50Ms: rank(0.5), p95Ms: rank(0.95), maxMs: sorted.at(-1)! };
}

function zeroRuns(): Record<DagRunState, number> {
  return Object.fromEntries(RUN_STATES.map((s) => [s, 0])) as Record<DagRunState, number>;
}

function runDurations(runs: readonly DagRunRecord[]): OrchestratorMetrics['runDurations'] {
  const per = new Map<string, number[]>();
  for (const r of runs) {
    if (r.startDate === null || r.endDate === null) continue;
    per.set(r.dagId, [...(per.get(r.dagId) ?? []), r.endDate - r.startDate]);
  }
  return [...per].sort(([a], [b]) => a.localeCompare(b)).map(([dagId, xs]) => ({ dagId, ...summarize(xs) }));
}

function taskDurations(tis: readonly TaskInstanceRecord[]): OrchestratorMetrics['tasks'] {
  const per = new Map<string, { dagId: string; taskId: string; durations: number[]; failed: number; retried: number }>();
  for (const t of tis) {
    if (t.state === 'mapped') continue; // its map instances carry the work
    const k = `${t.dagId}\u0000${t.taskId}`;
    let e = per.get(k);
    if (!e) per.set(k, (e = { dagId: t.dagId, taskId: t.taskId, durations: [], failed: 0, retried: 0 }));
    if (t.state === 'success' && t.duration !== null) e.durations.push(t.duration);
    if (t.state === 'failed') e.failed++;
    if (t.tryNumber > 1) e.retried++;
  }
  return [...per.values()]
    .sort((a, b) => a.dagId.localeCompare(b.dagId) || a.taskId.localeCompare(b.taskId))
    .map(({ durations, ...rest }) => ({ ...rest, ...summarize(durations) }));
}

function poolUsage(tis: readonly TaskInstanceRecord[], o: OrchestratorMetricsOptions): OrchestratorMetrics['pools'] {
  const slots: Record<string, number> = { default_pool: 128, ...o.pools };
  const usage = new Map<string, { used: number; queued: number; running: number }>(Object.keys(slots).map((p) => [p, { used: 0, queued: 0, running: 0 }]));
  for (const d of o.dags ?? []) for (const t of d.tasks) if (!usage.has(t.options.pool)) usage.set(t.options.pool, { used: 0, queued: 0, running: 0 });
  for (const t of tis) {
    if (t.state !== 'queued' && t.state !== 'running') continue;
    // The pool recorded on the instance when it was claimed: what the store's claims count.
    let u = usage.get(t.pool);
    if (!u) usage.set(t.pool, (u = { used: 0, queued: 0, running: 0 }));
    u.used += t.poolSlots;
    u[t.state]++;
  }
  return [...usage].sort(([a], [b]) => a.localeCompare(b)).map(([pool, u]) => ({ pool, slots: slots[pool] ?? 0, ...u }));
}

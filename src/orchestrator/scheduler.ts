/**
 * The scheduler: creates runs for due intervals, starts them within `maxActiveRuns`, decides which task instances
 * are ready (trigger rules, branches, depends_on_past, mapping), hands them to the executor within parallelism,
 * pools and per-DAG/per-task limits, records outcomes (retries with backoff, reschedules, XComs, logs), and fails
 * zombies. This file is the loop and the executor's side; each step lives in its own file.
 *
 * One loop, woken by executor events or every `pollMs`. Each pass (`tick`):
 * 1. apply outcomes the executor reported since the last pass, the only writer of attempt results
 *    (`attempt-outcome.ts`);
 * 2. fail attempts whose heartbeat stopped (zombies), and on a shared store adopt the instances of peers that went
 *    silent (`takeover.ts`);
 * 3. create runs for due intervals; start queued runs up to each DAG's maxActiveRuns (`run-creation.ts`);
 * 4. for every running run: make retries and reschedules that are due ready again, decide the waiting tasks,
 *    expand mapped tasks, and close the run once every instance is final (`run-advancer.ts`);
 * 5. claim ready instances, oldest run first, and start them: the store claims only what fits the free pool slots
 *    and the DAG and task limits, atomically against other schedulers (`claimTaskInstances`, `claim-limits.ts`).
 * On start it resets orphans: attempts recorded as running that no live executor of ours owns are killed if their
 * process still exists, then counted as failed attempts (so they retry, and never run twice at once).
 * @example
 *   const s = new Scheduler({ store, dags, executor: new ProcessExecutor() });
 *   await s.start();
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { newDagRun, recordDags } from './admin.ts';
import { recordOutcome, type StartedAttempt } from './attempt-outcome.ts';
import type { Dag } from './dag.ts';
import { SchedulerError } from './errors.ts';
import type { AttemptSpec, Executor } from './executor.ts';
import { taskInstanceId, type ClaimRequest, type DagRunRecord, type DagRunType, type MetadataStore, type TaskInstanceRecord } from './metadata-store.ts';
import { advanceRun } from './run-advancer.ts';
import { createDueRuns, startQueuedRuns } from './run-creation.ts';
import type { SchedulerContext } from './scheduler-context.ts';
import { adoptOrphans, failZombies } from './takeover.ts';
import type { AttemptOutcome, AttemptRequest } from './task-attempt.ts';
import { inputsOf } from './task-inputs.ts';

export interface SchedulerOptions {
  store: MetadataStore;
  dags: Iterable<Dag>;
  executor: Executor;
  /** Create runs for schedules (default true; false for `dag test` and pure backfills). */
  scheduleRuns?: boolean;
  /** Only start and advance runs of these types (a backfill's scheduler: ['backfill']); default all. */
  runTypes?: readonly DagRunType[];
  /**
   * Slots per pool (default_pool: 128 unless given); a pool not listed has none, so its tasks wait. Schedulers
   * sharing a store should be given the same pools: each claim is checked against the claimer's.
   */
  pools?: Record<string, number>;
  /** Longest pause between passes when nothing wakes the loop (default 1000 ms). */
  pollMs?: number;
  /** A running attempt whose heartbeat is older than this is a zombie (default 30 s). */
  zombieThresholdMs?: number;
  /** Runs at the start of every pass, before anything else (the CLI scheduler applies its command inbox here). */
  beforePass?: () => Promise<void>;
  /** Where the store is (directory or postgres:// URL): tasks in worker processes that read it open it there. */
  storeLocation?: string;
  /** Called after every task instance state change the scheduler makes. */
  onTaskState?: (ti: TaskInstanceRecord) => void;
  now?: () => number;
}

type Inbox = { attemptId: string; outcome: AttemptOutcome };

/** Slots of `default_pool` unless the options say otherwise (as in Airflow). */
const DEFAULT_POOL_SLOTS = 128;

/** Runs DAGs. */
export class Scheduler {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly store: MetadataStore;
  private readonly dags = new Map<string, Dag>();
  private readonly order = new Map<string, string[]>();
  /** dag id → task id → topological position (ready instances start in that order). */
  private readonly position = new Map<string, Map<string, number>>();
  private readonly executor: Executor;
  private readonly opts: SchedulerOptions;
  private readonly now: () => number;
  private readonly ctx: SchedulerContext;
  private readonly pools: Readonly<Record<string, number>>;
  /** Attempts this scheduler's executor runs, by attempt id. */
  private readonly active = new Map<string, StartedAttempt>();
  private inbox: Inbox[] = [];
  private readonly runWaiters = new Map<string, ((run: DagRunRecord) => void)[]>();
  private readonly activeRunsCap = new Map<string, number>();
  private wakeup: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private ticking: Promise<void> | undefined;
  private needsTick = false;
  private lastAdoption = 0;
  private readonly zombieThresholdMs: number;

  constructor(o: SchedulerOptions) {
    this.opts = o;
    this.store = o.store;
    this.executor = o.executor;
    this.now = o.now ?? Date.now;
    this.zombieThresholdMs = o.zombieThresholdMs ?? 30_000;
    this.pools = { default_pool: DEFAULT_POOL_SLOTS, ...o.pools };
    for (const d of o.dags) {
      this.dags.set(d.id, d);
      this.order.set(d.id, d.topologicalOrder().map((t) => t.id));
      this.position.set(d.id, new Map(this.order.get(d.id)!.map((id, i) => [id, i])));
    }
    this.ctx = { id: this.id, store: this.store, dags: this.dags, now: this.now, dag: (dagId) => this.dag(dagId), notify: (ti) => this.opts.onTaskState?.(ti) };
  }

  /** Records the DAGs, resets orphaned attempts and starts the loop. */
  async start(): Promise<void> {
    if (this.loop) return;
    await recordDags(this.store, this.dags.values());
    await this.adoptOrphans();
    this.stopping = false;
    this.loop = this.runLoop();
    await this.ticking; // the first pass has created the runs that were due
  }

  /** Stops the loop; running attempts are killed and recorded as failed (they retry on the next start). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
    for (const [attemptId] of this.active) this.executor.kill(attemptId, 'scheduler stopped');
    await this.executor.close();
    await this.applyOutcomes();
  }

  /** Creates a run (manual by default) for `logicalDate` and returns it; the loop starts it. */
  async triggerRun(dagId: string, o: { logicalDate?: number; conf?: Record<string, unknown>; runType?: DagRunType } = {}): Promise<DagRunRecord> {
    const dag = this.dag(dagId);
    const logicalDate = o.logicalDate ?? this.now();
    const run = newDagRun(dag, o.runType ?? 'manual', logicalDate, o.conf ?? {}, this.now());
    if (!(await this.store.createDagRun(run))) {
      throw new SchedulerError('RUN_EXISTS', `dag '${dagId}' already has a run for ${new Date(logicalDate).toISOString()}`, { hint: 'clear that run to re-run it, or pick another logical date' });
    }
    this.wake();
    return run;
  }

  /**
   * Runs every interval of `dagId` whose logical date is within [from, to], at most `maxActiveRuns` at once, and
   * resolves with the runs once all are final. Intervals that already have a run are left as they are.
   */
  async backfill(dagId: string, from: number, to: number, o: { maxActiveRuns?: number; conf?: Record<string, unknown> } = {}): Promise<DagRunRecord[]> {
    const dag = this.dag(dagId);
    if (o.maxActiveRuns !== undefined) this.activeRunsCap.set(dagId, o.maxActiveRuns);
    try {
      const runIds: string[] = [];
      for (const logicalDate of dag.schedule.logicalDatesBetween(from, to)) {
        const run = newDagRun(dag, 'backfill', logicalDate, o.conf ?? {}, this.now());
        if (await this.store.createDagRun(run)) runIds.push(run.runId);
      }
      this.wake();
      return await Promise.all(runIds.map((id) => this.waitForRun(dagId, id)));
    } finally {
      this.activeRunsCap.delete(dagId);
    }
  }

  /** Resolves when the run reaches success or failed. */
  async waitForRun(dagId: string, runId: string): Promise<DagRunRecord> {
    const current = await this.store.getDagRun(dagId, runId);
    if (current && (current.state === 'success' || current.state === 'failed')) return current;
    return new Promise((resolve) => {
      const k = `${dagId}\u0000${runId}`;
      this.runWaiters.set(k, [...(this.runWaiters.get(k) ?? []), resolve]);
      this.wake();
    });
  }

  /** Asks for a pass as soon as possible. */
  wake(): void {
    this.needsTick = true;
    this.wakeup?.();
  }

  private dag(dagId: string): Dag {
    const d = this.dags.get(dagId);
    if (!d) throw new SchedulerError('DAG_NOT_FOUND', `unknown dag '${dagId}'`, { hint: `known dags: ${[...this.dags.keys()].join(', ') || 'none'}` });
    return d;
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      this.needsTick = false;
      this.ticking = this.tick();
      await this.ticking;
      if (this.stopping) break;
      if (this.needsTick) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.pollMs ?? 1000);
        this.wakeup = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeup = undefined;
    }
  }

  /** One pass of the loop (see the strategy above). */
  async tick(): Promise<void> {
    await this.opts.beforePass?.();
    await this.applyOutcomes();
    await failZombies(this.ctx, this.active, (attemptId, reason) => this.executor.kill(attemptId, reason), this.zombieThresholdMs);
    // Peers that stopped beating: checked a few times per threshold, not every pass (it scans active instances).
    if (this.store.shared && this.now() - this.lastAdoption >= Math.min(1000, this.zombieThresholdMs / 4)) await this.adoptOrphans();
    if (this.opts.scheduleRuns ?? true) await createDueRuns(this.ctx);
    await startQueuedRuns(this.ctx, { runTypes: this.opts.runTypes, caps: this.activeRunsCap });
    const running = await this.store.listDagRuns({ states: ['running'], ...(this.opts.runTypes && { runTypes: this.opts.runTypes }) });
    const ready: TaskInstanceRecord[] = [];
    for (const run of running) {
      if (!this.dags.has(run.dagId)) continue;
      const advance = await advanceRun(this.ctx, run, this.order.get(run.dagId)!);
      ready.push(...advance.ready);
      if (advance.closed) this.runClosed(advance.closed);
    }
    await this.startReady(ready, running);
    await this.settleWaiters();
  }

  private async adoptOrphans(): Promise<void> {
    this.lastAdoption = this.now();
    await adoptOrphans(this.ctx, this.active.values(), this.zombieThresholdMs);
  }

  private runClosed(run: DagRunRecord): void {
    const k = `${run.dagId}\u0000${run.runId}`;
    for (const resolve of this.runWaiters.get(k) ?? []) resolve(run);
    this.runWaiters.delete(k);
    this.wake(); // a slot for the next queued run
  }

  /** Resolves waiters of runs that ended elsewhere (closed by a peer scheduler, or marked through the CLI). */
  private async settleWaiters(): Promise<void> {
    for (const [k, resolvers] of [...this.runWaiters]) {
      const [dagId, runId] = k.split('\u0000') as [string, string];
      const run = await this.store.getDagRun(dagId, runId);
      if (run?.state !== 'success' && run?.state !== 'failed') continue;
      this.runWaiters.delete(k);
      for (const resolve of resolvers) resolve(run);
    }
  }

  private async applyOutcomes(): Promise<void> {
    const batch = this.inbox;
    this.inbox = [];
    // Concurrently: the store group-commits the writes of one pass (one fsync instead of one per outcome).
    await Promise.all(batch.map(({ attemptId, outcome }) => {
      const a = this.active.get(attemptId);
      if (!a) return undefined;
      this.active.delete(attemptId);
      return recordOutcome(this.ctx, a, outcome);
    }));
  }

  // ---- 5. claim and start ----

  /**
   * Claims ready instances, oldest run first and in topological order within a run, up to the executor's free
   * parallelism; the store passes over those that do not fit their pool or their DAG's and task's limits, counting
   * every queued or running instance of every scheduler on it.
   */
  private async startReady(ready: TaskInstanceRecord[], runs: DagRunRecord[]): Promise<void> {
    const free = this.executor.parallelism - this.active.size;
    if (ready.length === 0 || free <= 0) return;
    const runOf = new Map(runs.map((r) => [`${r.dagId}\u0000${r.runId}`, r]));
    const position = (ti: TaskInstanceRecord) => this.position.get(ti.dagId)!.get(ti.taskId)!;
    ready.sort((a, b) => runOf.get(`${a.dagId}\u0000${a.runId}`)!.logicalDate - runOf.get(`${b.dagId}\u0000${b.runId}`)!.logicalDate || position(a) - position(b) || a.mapIndex - b.mapIndex);
    const requests = ready.map((ti): ClaimRequest => {
      const dag = this.dag(ti.dagId);
      const { pool, poolSlots, maxActiveInstances } = dag.getTask(ti.taskId).options;
      return { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, pool, poolSlots, maxActiveTasks: dag.maxActiveTasks, ...(maxActiveInstances !== undefined && { maxActiveInstances }) };
    });
    const claimed = await this.store.claimTaskInstances(requests, this.id, { limit: free, pools: this.pools });
    await Promise.all(claimed.map((ti) => this.launch(ti, runOf.get(`${ti.dagId}\u0000${ti.runId}`)!)));
  }

  private async launch(ti: TaskInstanceRecord, run: DagRunRecord): Promise<void> {
    const dag = this.dag(ti.dagId);
    const task = dag.getTask(ti.taskId);
    const tryNumber = ti.tryNumber + 1;
    const now = this.now();
    const patch: Partial<TaskInstanceRecord> = { state: 'running', tryNumber, startDate: now, endDate: null, duration: null, heartbeatAt: now, owner: this.id, hostname: hostname(), pid: null, error: null };
    const [updated] = await Promise.all([this.store.updateTaskInstance(ti, patch, { states: ['queued'], tryNumber: ti.tryNumber }), this.store.clearXComs(ti)]);
    if (!updated) return;
    const request: AttemptRequest = {
      dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex, tryNumber, maxTries: ti.maxTries, logicalDate: run.logicalDate,
      dataIntervalStart: run.dataIntervalStart, dataIntervalEnd: run.dataIntervalEnd, timezone: dag.timezone, params: run.conf,
      inputs: await inputsOf(this.store, run, task, ti.mapIndex), firstAttemptAt: ti.firstAttemptAt, metadataStore: this.opts.storeLocation,
    };
    const attemptId = `${taskInstanceId(ti)}#${tryNumber}`;
    const key = { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex };
    this.active.set(attemptId, { key, tryNumber, task });
    this.ctx.notify({ ...ti, ...patch });
    const spec: AttemptSpec = { attemptId, dagFile: dag.fileloc ?? '', request, timeoutMs: task.options.executionTimeout };
    this.executor.start(spec, {
      started: (info) => void this.store.updateTaskInstance(key, { pid: info.pid, hostname: info.hostname, heartbeatAt: this.now() }, { states: ['running'], tryNumber }).catch(() => undefined),
      heartbeat: () => void this.store.updateTaskInstance(key, { heartbeatAt: this.now() }, { states: ['running'], tryNumber }).catch(() => undefined),
      log: (text) => void this.store.appendLog(key, tryNumber, text).catch(() => undefined),
      finished: (outcome) => {
        this.inbox.push({ attemptId, outcome });
        this.wake();
      },
    });
  }
}

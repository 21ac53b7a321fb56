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
 * On start it takes over what a stopped scheduler left (`takeover.ts`): attempts whose worker process still runs
 * (workers outlive their scheduler and record their own outcome, see `task-runner.ts`) are adopted and waited for;
 * those whose worker is gone are handed back, their try not counted; the task's own crashes, timeouts and hangs
 * still count. `stop` drains: no new work, running attempts get a grace period to finish, the rest are handed back.
 * @example
 *   const s = new Scheduler({ store, dags, executor: new ProcessExecutor() });
 *   await s.start();
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { newDagRun, recordDags } from './admin.ts';
import { AttemptLedger, isSameProcessAlive } from './attempt-ledger.ts';
import { handBack, recordOutcome, type StartedAttempt } from './attempt-outcome.ts';
import type { Dag } from './dag.ts';
import { SchedulerError } from './errors.ts';
import type { AttemptSpec, Executor } from './executor.ts';
import { taskInstanceId, type ClaimRequest, type DagRunRecord, type DagRunType, type MetadataStore, type TaskInstanceKey, type TaskInstanceRecord } from './metadata-store.ts';
import type { RemoteLogFolder } from './remote-logs.ts';
import { advanceRun } from './run-advancer.ts';
import { createDueRuns, startQueuedRuns } from './run-creation.ts';
import type { SchedulerContext } from './scheduler-context.ts';
import { parseStoreSpec } from './store-url.ts';
import { adoptOrphans, failZombies, killAndWait, type AdoptedAttempt } from './takeover.ts';
import type { AttemptOutcome, AttemptRequest } from './task-attempt.ts';
import { inputsOf } from './task-inputs.ts';
import type { Handoff } from './task-runner.ts';

export interface SchedulerOptions {
  store: MetadataStore;
  dags: Iterable<Dag>;
  executor: Executor;
  /** Create runs for schedules (default true; false for `dag test` and pure backfills). */
  scheduleRuns?: boolean;
  /** Whether DAGs new to the store start paused (default true, as Airflow's; a DAG's isPausedUponCreation wins). */
  dagsArePausedAtCreation?: boolean;
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
  /**
   * Where the store is (directory or postgres:// URL): tasks in worker processes that read it open it there, and a
   * worker whose scheduler died records its outcome there (without it, such a worker's attempt is handed back).
   */
  storeLocation?: string;
  /** Where ended attempts' logs are uploaded (project setting `remoteLogFolder`): see remote-logs.ts. */
  remoteLogs?: RemoteLogFolder;
  /** Called after every task instance state change the scheduler makes. */
  onTaskState?: (ti: TaskInstanceRecord) => void;
  now?: () => number;
}

type Inbox = { attemptId: string; outcome: AttemptOutcome; log?: string };

/** An attempt this scheduler waits for: started by its executor, or adopted from a stopped scheduler. */
interface RunningAttempt extends StartedAttempt {
  /** The launch's token (ledger handoff). */
  token?: string;
  /** Adopted: its worker is not this scheduler's child; it reports through the ledger. */
  adopted?: AdoptedAttempt;
  /** Set when the scheduler stops: a failure that follows is the stop's kill, handed back rather than counted. */
  handBack?: string;
  /** An adopted attempt being killed (its outcome is queued once the process is gone). */
  killing?: boolean;
}

/** Options of `Scheduler.stop`. */
export interface StopOptions {
  /** How long running attempts may go on finishing before they are handed back (default 0: at once). */
  graceMs?: number;
}

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
  /** Attempts this scheduler waits for (its executor's and adopted ones), by attempt id. */
  private readonly active = new Map<string, RunningAttempt>();
  /** Journal store: the per-attempt files through which workers outlive this scheduler (see attempt-ledger.ts). */
  private readonly ledger: AttemptLedger | undefined;
  private readonly storeKind: 'journal' | 'postgres' | undefined;
  private draining = false;
  private cutGrace: (() => void) | undefined;
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
    const spec = o.storeLocation === undefined ? undefined : parseStoreSpec(o.storeLocation);
    this.storeKind = spec?.kind;
    this.ledger = spec?.kind === 'journal' ? new AttemptLedger(join(spec.dir, 'attempts')) : undefined;
  }

  /** Records the DAGs, takes over what a stopped scheduler left (see above) and starts the loop. */
  async start(): Promise<void> {
    if (this.loop) return;
    await recordDags(this.store, this.dags.values(), { pausedAtCreation: this.opts.dagsArePausedAtCreation ?? true });
    await this.adoptOrphans();
    await this.removeStaleAttemptFiles();
    this.stopping = false;
    this.draining = false;
    this.loop = this.runLoop();
    await this.ticking; // the first pass has created the runs that were due
  }

  /**
   * Stops: takes no new work, lets running attempts finish for up to `graceMs` (their outcomes are recorded as
   * usual), then hands back those still running — their workers are killed, the instances are ready again and
   * their try is not counted — and ends the loop. `stopNow` cuts the grace short.
   */
  async stop(o: StopOptions = {}): Promise<void> {
    if (this.loop) {
      this.draining = true;
      this.wake();
      const graceMs = o.graceMs ?? 0;
      if (graceMs > 0 && this.active.size > 0) {
        const cut = new Promise<void>((resolve) => (this.cutGrace = resolve));
        const deadline = Date.now() + graceMs;
        let stopped = false;
        void cut.then(() => (stopped = true));
        while (this.active.size > 0 && !stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        this.cutGrace = undefined;
      }
      this.stopping = true;
      this.wake();
      await this.loop;
      this.loop = undefined;
    }
    for (const [attemptId, a] of this.active) {
      a.handBack = `the scheduler ${this.id} stopped before attempt ${a.tryNumber} finished`;
      if (!a.adopted) this.executor.kill(attemptId, a.handBack);
    }
    await Promise.all([...this.active].filter(([, a]) => a.adopted).map(async ([attemptId, a]) => {
      await killAndWait(a.adopted!.pid);
      a.killing = false; // gone now: report it here, whatever a kill in flight does
      this.checkAdopted(attemptId, a);
    }));
    await this.executor.close(); // every worker has exited, and reported its attempt
    await this.applyOutcomes();
  }

  /** Ends the grace period of a `stop` in progress (a second Ctrl-C): attempts still running are handed back now. */
  stopNow(): void {
    this.cutGrace?.();
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
    for (const [attemptId, a] of this.active) if (a.adopted) this.checkAdopted(attemptId, a);
    await this.applyOutcomes();
    await failZombies(this.ctx, this.active, (attemptId, reason) => this.kill(attemptId, reason), this.zombieThresholdMs);
    // Peers that stopped beating: checked a few times per threshold, not every pass (it scans active instances).
    if (this.store.shared && this.now() - this.lastAdoption >= Math.min(1000, this.zombieThresholdMs / 4)) await this.adoptOrphans();
    if ((this.opts.scheduleRuns ?? true) && !this.draining) await createDueRuns(this.ctx);
    if (!this.draining) await startQueuedRuns(this.ctx, { runTypes: this.opts.runTypes, caps: this.activeRunsCap });
    const running = await this.store.listDagRuns({ states: ['running'], ...(this.opts.runTypes && { runTypes: this.opts.runTypes }) });
    const ready: TaskInstanceRecord[] = [];
    for (const run of running) {
      if (!this.dags.has(run.dagId)) continue;
      const advance = await advanceRun(this.ctx, run, this.order.get(run.dagId)!);
      ready.push(...advance.ready);
      if (advance.closed) this.runClosed(advance.closed);
    }
    if (!this.draining) await this.startReady(ready, running);
    await this.settleWaiters();
  }

  private async adoptOrphans(): Promise<void> {
    this.lastAdoption = this.now();
    const adopted = await adoptOrphans(this.ctx, this.active.values(), this.zombieThresholdMs, this.ledger);
    for (const a of adopted) {
      const dag = this.dags.get(a.key.dagId);
      const task = dag?.hasTask(a.key.taskId) ? dag.getTask(a.key.taskId) : undefined;
      if (!task) continue; // a DAG this scheduler does not run: its worker's result waits for one that does
      this.active.set(`${taskInstanceId(a.key)}#${a.tryNumber}`, { ...a, task, token: a.token, adopted: a });
      this.checkAdopted(`${taskInstanceId(a.key)}#${a.tryNumber}`, this.active.get(`${taskInstanceId(a.key)}#${a.tryNumber}`)!);
    }
  }

  /**
   * An adopted attempt (its worker outlived its scheduler, see `takeover.ts`): queues its result once the worker has
   * written it. A worker that exits without one after it began the attempt failed on its own (it ran under this
   * scheduler's watch), as does one whose beats stop for the zombie threshold (it is killed); one that exits before
   * it began, or any on stop, is handed back.
   */
  private checkAdopted(attemptId: string, a: RunningAttempt): void {
    const ledger = this.ledger!;
    const { pid, processStart, token } = a.adopted!;
    if (a.killing || this.inbox.some((m) => m.attemptId === attemptId)) return;
    const result = () => ledger.readResult(a.key, a.tryNumber, token);
    let r = result();
    if (r) return void this.inbox.push({ attemptId, outcome: r.outcome, log: r.log });
    if (isSameProcessAlive(pid, processStart)) {
      const beat = ledger.lastBeat(a.key, a.tryNumber);
      if (beat === undefined || beat >= this.now() - this.zombieThresholdMs || a.handBack) return;
      return this.kill(attemptId, `zombie: no heartbeat from task process ${pid} for ${this.now() - beat} ms; killed`);
    }
    r = result(); // written just before it exited
    if (r) return void this.inbox.push({ attemptId, outcome: r.outcome, log: r.log });
    // Never began (its scheduler died as it handed the attempt over): not the task's failure.
    if (!ledger.started(a.key, a.tryNumber, token)) a.handBack ??= `the task process ${pid} exited before it began the attempt`;
    this.inbox.push({ attemptId, outcome: { state: 'failed', retryable: true, error: `the task process ${pid} exited without recording an outcome` } });
  }

  /** Ends an attempt (zombie, taken over, cleared): its executor kills it, or, adopted, it is killed here. */
  private kill(attemptId: string, reason: string): void {
    const a = this.active.get(attemptId);
    if (!a?.adopted) return this.executor.kill(attemptId, reason);
    if (a.killing || this.inbox.some((m) => m.attemptId === attemptId)) return;
    a.killing = true;
    // Reported once the process is gone, so that its files are removed after its last write.
    void killAndWait(a.adopted.pid).then(() => {
      this.inbox.push({ attemptId, outcome: { state: 'failed', retryable: true, error: reason } });
      this.wake();
    });
  }

  /** Removes attempt files whose instance moved on (their outcome is stored; the scheduler died before removing them). */
  private async removeStaleAttemptFiles(): Promise<void> {
    if (!this.ledger) return;
    const held = new Set([...this.active.values()].map((a) => `${taskInstanceId(a.key)}#${a.tryNumber}`));
    for (const rec of this.ledger.listAttempts()) {
      if (held.has(`${taskInstanceId(rec)}#${rec.tryNumber}`)) continue;
      const ti = await this.store.getTaskInstance(rec);
      if (ti?.state !== 'running' || ti.tryNumber !== rec.tryNumber) this.ledger.remove(rec, rec.tryNumber);
    }
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

  /**
   * Stores the outcomes reported since the last pass; only then are the workers released and the attempt files
   * removed, so that an outcome is never lost when this process dies in between (the worker records it itself).
   */
  private async applyOutcomes(): Promise<void> {
    const batch = this.inbox;
    this.inbox = [];
    // Concurrently: the store group-commits the writes of one pass (one fsync instead of one per outcome).
    await Promise.all(batch.map(async ({ attemptId, outcome, log }) => {
      const a = this.active.get(attemptId);
      if (!a) return;
      if (log) await this.store.appendLog(a.key, a.tryNumber, log);
      if (a.handBack && outcome.state === 'failed') await handBack(this.ctx, a, a.handBack);
      else await recordOutcome(this.ctx, a, outcome);
      await this.uploadLog(a.key, a.tryNumber);
      this.active.delete(attemptId);
      this.ledger?.remove(a.key, a.tryNumber);
      this.executor.release?.(attemptId);
    }));
  }

  /**
   * Uploads an ended attempt's log to the remote log folder, when one is set. A failed upload does not change the
   * attempt's outcome: it is noted at the end of the local log (which keeps the text).
   */
  private async uploadLog(key: TaskInstanceKey, tryNumber: number): Promise<void> {
    const folder = this.opts.remoteLogs;
    if (folder === undefined) return;
    try {
      await folder.upload(key, tryNumber, await this.store.readLog(key, tryNumber));
    } catch (e) {
      await this.store.appendLog(key, tryNumber, `[riffle] the log was not uploaded to ${folder.url}: ${(e as Error).message}\n`).catch(() => undefined);
    }
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
    const token = randomUUID();
    this.active.set(attemptId, { key, tryNumber, task, token });
    this.ctx.notify({ ...ti, ...patch });
    const handoff: Handoff | undefined = this.ledger ? { kind: 'ledger', dir: this.ledger.dir, token } : this.storeKind === 'postgres' ? { kind: 'store', location: this.opts.storeLocation! } : undefined;
    const spec: AttemptSpec = { attemptId, dagFile: dag.fileloc ?? '', request, timeoutMs: task.options.executionTimeout, handoff };
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

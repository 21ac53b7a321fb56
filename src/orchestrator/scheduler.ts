/**
 * The scheduler: creates runs for due intervals, starts them within `maxActiveRuns`, decides which task instances
 * are ready (trigger rules, branches, depends_on_past, mapping), hands them to the executor within parallelism,
 * pools and per-task limits, records outcomes (retries with backoff, reschedules, XComs, logs), and fails zombies.
 *
 * One loop, woken by executor events or every `pollMs`. Each pass (`tick`):
 * 1. apply outcomes the executor reported since the last pass (the only writer of attempt results);
 * 2. fail attempts whose heartbeat stopped (zombies);
 * 3. create runs for due intervals; start queued runs up to each DAG's maxActiveRuns;
 * 4. for every running run: make retries and reschedules that are due ready again, decide the waiting tasks,
 *    expand mapped tasks, and close the run once every instance is final;
 * 5. claim ready instances and start them, oldest run first, within every limit.
 * On start it resets orphans: attempts recorded as running that no live executor of ours owns are killed if their
 * process still exists, then counted as failed attempts (so they retry, and never run twice at once).
 * @example
 *   const s = new Scheduler({ store, dags, executor: new ProcessExecutor() });
 *   await s.start();
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Dag } from './dag.ts';
import { SchedulerError } from './errors.ts';
import type { AttemptSpec, Executor } from './executor.ts';
import {
  taskInstanceId, type DagRunRecord, type DagRunType, type MetadataStore, type TaskInstanceKey, type TaskInstanceRecord, type TaskState, type XComRecord,
} from './metadata-store.ts';
import { newDagRun, recordDags } from './admin.ts';
import { decideRun, runOutcome } from './run-evaluator.ts';
import type { AttemptOutcome, AttemptRequest } from './task-attempt.ts';
import type { CallbackInfo, Task } from './task.ts';

export interface SchedulerOptions {
  store: MetadataStore;
  dags: Iterable<Dag>;
  executor: Executor;
  /** Create runs for schedules (default true; false for `dag test` and pure backfills). */
  scheduleRuns?: boolean;
  /** Only start and advance runs of these types (a backfill's scheduler: ['backfill']); default all. */
  runTypes?: readonly DagRunType[];
  /** Slots per pool (default_pool: 128 unless given). */
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

interface Active {
  key: TaskInstanceKey;
  tryNumber: number;
  task: Task<unknown>;
}

type Inbox = { attemptId: string; outcome: AttemptOutcome };

const WAITING_STATES: TaskState[] = ['up_for_retry', 'up_for_reschedule'];

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
  private readonly active = new Map<string, Active>();
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
    for (const d of o.dags) {
      this.dags.set(d.id, d);
      this.order.set(d.id, d.topologicalOrder().map((t) => t.id));
      this.position.set(d.id, new Map(this.order.get(d.id)!.map((id, i) => [id, i])));
    }
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
    await this.failZombies();
    // Peers that stopped beating: checked a few times per threshold, not every pass (it scans active instances).
    if (this.store.shared && this.now() - this.lastAdoption >= Math.min(1000, this.zombieThresholdMs / 4)) await this.adoptOrphans();
    if (this.opts.scheduleRuns ?? true) await this.createDueRuns();
    await this.startQueuedRuns();
    const running = await this.store.listDagRuns({ states: ['running'], ...(this.opts.runTypes && { runTypes: this.opts.runTypes }) });
    const ready: TaskInstanceRecord[] = [];
    for (const run of running) {
      if (!this.dags.has(run.dagId)) continue;
      ready.push(...(await this.advanceRun(run)));
    }
    await this.startReady(ready, running);
    await this.settleWaiters();
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

  // ---- 1. outcomes ----

  private async applyOutcomes(): Promise<void> {
    const batch = this.inbox;
    this.inbox = [];
    // Concurrently: the store group-commits the writes of one pass (one fsync instead of one per outcome).
    await Promise.all(batch.map(({ attemptId, outcome }) => {
      const a = this.active.get(attemptId);
      if (!a) return undefined;
      this.active.delete(attemptId);
      return this.recordOutcome(a, outcome);
    }));
  }

  private async recordOutcome(a: Active, outcome: AttemptOutcome): Promise<void> {
    const ti = await this.store.getTaskInstance(a.key);
    if (!ti || ti.state !== 'running' || ti.tryNumber !== a.tryNumber) return; // cleared or reset meanwhile
    const now = this.now();
    const base = { endDate: now, duration: ti.startDate === null ? null : now - ti.startDate, heartbeatAt: null };
    let patch: Partial<TaskInstanceRecord>;
    const xcoms: XComRecord[] = [];
    let callback: { fn: ((i: CallbackInfo) => void | Promise<void>) | undefined; state: CallbackInfo['state'] } | undefined;
    switch (outcome.state) {
      case 'success':
        // Written with the state change below, in the same commit; a stale attempt's values are cleared at the next launch.
        xcoms.push(...(outcome.value !== null ? [{ ...a.key, key: 'return_value', value: outcome.value }] : []), ...(outcome.followed ? [{ ...a.key, key: 'followed', value: outcome.followed }] : []));
        patch = { ...base, state: 'success', error: null };
        callback = { fn: a.task.options.onSuccess, state: 'success' };
        break;
      case 'skipped':
        patch = { ...base, state: 'skipped', error: outcome.reason };
        break;
      case 'reschedule':
        // A reschedule is not a failure: it gives its try back.
        patch = { ...base, state: 'up_for_reschedule', nextAttemptAt: outcome.at, firstAttemptAt: outcome.firstAttemptAt, tryNumber: ti.tryNumber - 1 };
        break;
      case 'failed': {
        const retry = outcome.retryable && ti.tryNumber < ti.maxTries;
        patch = retry
          ? { ...base, state: 'up_for_retry', error: outcome.error, nextAttemptAt: now + a.task.retryDelayAfter(ti.tryNumber) }
          : { ...base, state: 'failed', error: outcome.error };
        callback = { fn: retry ? a.task.options.onRetry : a.task.options.onFailure, state: retry ? 'up_for_retry' : 'failed' };
        await this.store.appendLog(a.key, ti.tryNumber, `attempt ${ti.tryNumber} failed: ${outcome.error}\n`);
        break;
      }
    }
    const [updated] = await Promise.all([this.store.updateTaskInstance(a.key, patch, { states: ['running'], tryNumber: a.tryNumber }), ...xcoms.map((x) => this.store.setXCom(x))]);
    if (updated) {
      this.notify({ ...ti, ...patch });
      if (callback?.fn) this.runCallback(callback.fn, { ...a.key, tryNumber: ti.tryNumber, state: callback.state, error: patch.error ?? undefined });
    }
  }

  private runCallback(fn: (i: CallbackInfo) => void | Promise<void>, info: CallbackInfo): void {
    // Callbacks run in the scheduler's process (so they also fire for crashed and killed attempts); a failing
    // callback is logged with the attempt and changes nothing.
    void Promise.resolve()
      .then(() => fn(info))
      .catch((e: unknown) => this.store.appendLog(info, info.tryNumber, `callback failed: ${e instanceof Error ? e.message : String(e)}\n`).catch(() => undefined));
  }

  private notify(ti: TaskInstanceRecord): void {
    this.opts.onTaskState?.(ti);
  }

  // ---- 2. zombies and orphans ----

  private async failZombies(): Promise<void> {
    const threshold = this.now() - this.zombieThresholdMs;
    for (const [attemptId, a] of this.active) {
      const ti = await this.store.getTaskInstance(a.key);
      if (ti?.state !== 'running' || ti.tryNumber !== a.tryNumber || ti.owner !== this.id) {
        // A peer adopted it (this scheduler looked dead to it, say after a long pause): stop our copy at once.
        this.executor.kill(attemptId, `taken over: the instance is now ${ti ? `${ti.state} (try ${ti.tryNumber}, owner ${ti.owner ?? 'none'})` : 'gone'}`);
        continue;
      }
      if (ti.heartbeatAt !== null && ti.heartbeatAt < threshold) {
        await this.store.appendLog(a.key, a.tryNumber, `zombie: no heartbeat since ${new Date(ti.heartbeatAt).toISOString()}; killing the attempt\n`);
        this.executor.kill(attemptId, `zombie: no heartbeat for ${this.now() - ti.heartbeatAt} ms`);
      }
    }
  }

  /**
   * Takes over instances recorded as queued or running that no attempt of this scheduler holds. On an exclusive
   * store (checked at start) every one is the orphan of a stopped scheduler. On a shared store a peer may be alive,
   * so only instances whose owner went silent are taken: running ones whose heartbeat is older than the zombie
   * threshold, queued ones unchanged for as long. A started attempt counts as a failed try (it retries if it may);
   * a queued one goes back to scheduled. Every change is a compare-and-set, so two peers never adopt the same one.
   */
  private async adoptOrphans(): Promise<void> {
    const shared = this.store.shared === true;
    const now = this.now();
    this.lastAdoption = now;
    const silentSince = now - this.zombieThresholdMs;
    const mine = new Set([...this.active.values()].map((a) => taskInstanceId(a.key)));
    const lastSign = (ti: TaskInstanceRecord) => (ti.state === 'running' ? (ti.heartbeatAt ?? ti.startDate ?? ti.updatedAt) : ti.updatedAt);
    const orphans = (await this.store.listTaskInstances({ states: ['queued', 'running'] }))
      .filter((ti) => !mine.has(taskInstanceId(ti)) && (!shared || (ti.owner !== this.id && lastSign(ti) < silentSince)));
    for (const ti of orphans) {
      // A task process left on this machine is killed first, so that its retry never runs beside it.
      if (ti.pid !== null && ti.hostname === hostname() && ti.pid !== process.pid) await killAndWait(ti.pid);
      const dag = this.dags.get(ti.dagId);
      const task = dag?.hasTask(ti.taskId) ? dag.getTask(ti.taskId) : undefined;
      const attempted = ti.state === 'running';
      const error = shared
        ? `no sign of scheduler ${ti.owner ?? 'unknown'} since ${new Date(lastSign(ti)).toISOString()} (threshold ${this.zombieThresholdMs} ms); adopted by ${this.id}`
        : `the scheduler that ran this attempt (${ti.owner ?? 'unknown'}) stopped; reset by ${this.id}`;
      const retry = !attempted || ti.tryNumber < ti.maxTries;
      const patch: Partial<TaskInstanceRecord> = !attempted
        ? { state: 'scheduled', scheduledAt: this.now(), owner: null }
        : retry
          ? { state: 'up_for_retry', error, endDate: this.now(), nextAttemptAt: this.now() + (task?.retryDelayAfter(ti.tryNumber) ?? 0), pid: null, owner: null }
          : { state: 'failed', error, endDate: this.now(), pid: null, owner: null };
      if (await this.store.updateTaskInstance(ti, patch, { states: [ti.state], tryNumber: ti.tryNumber })) {
        if (attempted) await this.store.appendLog(ti, ti.tryNumber, `${error}\n`);
        this.notify({ ...ti, ...patch });
      }
    }
  }

  // ---- 3. runs ----

  private async createDueRuns(): Promise<void> {
    for (const dag of this.dags.values()) {
      if (dag.schedule.kind === 'none' || (await this.store.getDag(dag.id))?.isPaused) continue;
      const last = await this.store.latestDagRun(dag.id, ['scheduled']);
      const due = dag.schedule.dueIntervals({ startDate: dag.startDate, endDate: dag.endDate, lastLogicalDate: last?.logicalDate, now: this.now(), catchup: dag.catchup }, 1000);
      for (const i of due) await this.store.createDagRun(newDagRun(dag, 'scheduled', i.start, {}, this.now()));
    }
  }

  private async startQueuedRuns(): Promise<void> {
    const queued = await this.store.listDagRuns({ states: ['queued'], ...(this.opts.runTypes && { runTypes: this.opts.runTypes }) });
    if (queued.length === 0) return;
    const running = await this.store.listDagRuns({ states: ['running'] });
    for (const run of queued) {
      const dag = this.dags.get(run.dagId);
      if (!dag) continue;
      const cap = this.activeRunsCap.get(dag.id) ?? dag.maxActiveRuns;
      if (running.filter((r) => r.dagId === dag.id).length >= cap) continue;
      if (!(await this.store.updateDagRun(run.dagId, run.runId, { state: 'running', startDate: this.now() }, ['queued']))) continue;
      if (this.store.shared && (await this.store.listDagRuns({ dagId: dag.id, states: ['running'] })).length > cap) {
        // A peer started a run of this DAG at the same moment: give this one back (both may, and retry next pass;
        // never both keep theirs), before any of its instances exist.
        await this.store.updateDagRun(run.dagId, run.runId, { state: 'queued', startDate: null }, ['running']);
        continue;
      }
      running.push({ ...run, state: 'running' });
      await this.store.createTaskInstances(dag.tasks.map((t) => this.newInstance({ dagId: dag.id, runId: run.runId, taskId: t.id, mapIndex: -1 }, t)));
    }
  }

  private newInstance(key: TaskInstanceKey, task: Task<unknown>, state: TaskState = 'none'): TaskInstanceRecord {
    return {
      ...key, state, scheduledAt: state === 'scheduled' ? this.now() : null, tryNumber: 0, maxTries: task.maxTries, startDate: null, endDate: null, duration: null, hostname: null, pid: null, heartbeatAt: null,
      nextAttemptAt: null, firstAttemptAt: null, owner: null, error: null, updatedAt: this.now(),
    };
  }

  // ---- 4. one run ----

  private async advanceRun(run: DagRunRecord): Promise<TaskInstanceRecord[]> {
    const dag = this.dag(run.dagId);
    let tis = await this.store.listTaskInstances({ dagId: run.dagId, runId: run.runId });
    if (tis.filter((ti) => ti.mapIndex === -1).length < dag.tasks.length) {
      // A run is marked running before its instances are created: a peer (or a crash) may sit between the two.
      const have = new Set(tis.filter((ti) => ti.mapIndex === -1).map((ti) => ti.taskId));
      await this.store.createTaskInstances(dag.tasks.filter((t) => !have.has(t.id)).map((t) => this.newInstance({ dagId: dag.id, runId: run.runId, taskId: t.id, mapIndex: -1 }, t)));
      tis = await this.store.listTaskInstances({ dagId: run.dagId, runId: run.runId });
    }
    const now = this.now();
    await Promise.all(tis.filter((ti) => WAITING_STATES.includes(ti.state) && (ti.nextAttemptAt ?? 0) <= now).map(async (ti) => {
      if (await this.store.updateTaskInstance(ti, { state: 'scheduled', scheduledAt: now }, { states: [ti.state] })) ti.state = 'scheduled';
    }));
    const { states, byTask } = this.statesOf(tis);
    const followed = new Map<string, string[]>();
    for (const t of dag.tasks) {
      if (t.kind === 'branch' && states.get(t.id)?.[0] === 'success') {
        followed.set(t.id, ((await this.store.getXCom({ dagId: run.dagId, runId: run.runId, taskId: t.id, mapIndex: -1 }, 'followed'))?.value as string[]) ?? []);
      }
    }
    const blockedByPast = await this.blockedByPast(dag, run, states);
    const decided = decideRun(dag, this.order.get(dag.id)!, { states, followed, blockedByPast });
    await Promise.all(decided.map(async (d) => {
      const key = { dagId: run.dagId, runId: run.runId, taskId: d.taskId, mapIndex: -1 };
      const task = dag.getTask(d.taskId);
      if (d.decision === 'run' && task.isMapped) {
        states.set(d.taskId, await this.expand(run, task));
        return;
      }
      const state: TaskState = d.decision === 'run' ? 'scheduled' : d.decision === 'skip' ? 'skipped' : 'upstream_failed';
      const patch = state === 'scheduled' ? { state, scheduledAt: now } : { state, endDate: now };
      if (await this.store.updateTaskInstance(key, patch, { states: ['none'] })) {
        const ti = byTask.get(d.taskId)!.find((t) => t.mapIndex === -1)!;
        Object.assign(ti, patch);
        if (state !== 'scheduled') this.notify(ti);
      }
    }));
    const outcome = runOutcome(states);
    if (outcome) {
      if (await this.store.updateDagRun(run.dagId, run.runId, { state: outcome, endDate: now }, ['running'])) {
        const done = { ...run, state: outcome, endDate: now };
        const k = `${run.dagId}\u0000${run.runId}`;
        for (const resolve of this.runWaiters.get(k) ?? []) resolve(done);
        this.runWaiters.delete(k);
        this.wake(); // a slot for the next queued run
      }
      return [];
    }
    return [...byTask.values()].flat().filter((ti) => ti.state === 'scheduled');
  }

  private statesOf(tis: TaskInstanceRecord[]): { states: Map<string, TaskState[]>; byTask: Map<string, TaskInstanceRecord[]> } {
    const byTask = new Map<string, TaskInstanceRecord[]>();
    for (const ti of tis) byTask.set(ti.taskId, [...(byTask.get(ti.taskId) ?? []), ti]);
    const states = new Map<string, TaskState[]>();
    for (const [taskId, list] of byTask) {
      const placeholder = list.find((t) => t.mapIndex === -1);
      states.set(taskId, placeholder?.state === 'mapped' ? list.filter((t) => t.mapIndex >= 0).map((t) => t.state) : [placeholder?.state ?? 'none']);
    }
    return { states, byTask };
  }

  private async blockedByPast(dag: Dag, run: DagRunRecord, states: Map<string, TaskState[]>): Promise<Set<string>> {
    const blocked = new Set<string>();
    const candidates = dag.tasks.filter((t) => t.options.dependsOnPast && states.get(t.id)?.[0] === 'none');
    if (candidates.length === 0) return blocked;
    const previous = (await this.store.listDagRuns({ dagId: dag.id })).filter((r) => r.logicalDate < run.logicalDate).at(-1);
    if (!previous) return blocked;
    for (const t of candidates) {
      const prev = await this.store.listTaskInstances({ dagId: dag.id, runId: previous.runId, taskId: t.id });
      const s = this.statesOf(prev).states.get(t.id) ?? [];
      // No instance in a previous run that has not started (or not made its instances yet) is "not run yet", as in
      // Airflow; in a finished run it means the task did not exist then, which does not block.
      const notYet = s.length === 0 && (previous.state === 'queued' || previous.state === 'running');
      if (notYet || !s.every((x) => x === 'success' || x === 'skipped')) blocked.add(t.id);
    }
    return blocked;
  }

  /** Creates one instance per element (cross product over several lists); an empty list skips the task. */
  private async expand(run: DagRunRecord, task: Task<unknown>): Promise<TaskState[]> {
    const lists = await this.expandLists(run, task);
    const count = lists.reduce((n, [, l]) => n * l.length, 1);
    const key = { dagId: run.dagId, runId: run.runId, taskId: task.id, mapIndex: -1 };
    if (count === 0) {
      await this.store.updateTaskInstance(key, { state: 'skipped', endDate: this.now(), error: 'mapped over an empty list' }, { states: ['none'] });
      return ['skipped'];
    }
    await this.store.createTaskInstances(Array.from({ length: count }, (_, i) => this.newInstance({ ...key, mapIndex: i }, task, 'scheduled')));
    // Instances left by an earlier expansion of a cleared task are in `none`: those still in the list run again;
    // those past its end (the list shrank) are skipped.
    const previous = (await this.store.listTaskInstances({ dagId: run.dagId, runId: run.runId, taskId: task.id })).filter((t) => t.mapIndex >= 0 && t.state === 'none');
    await Promise.all(previous.map((t) => this.store.updateTaskInstance(t, t.mapIndex < count ? { state: 'scheduled', scheduledAt: this.now() } : { state: 'skipped', endDate: this.now(), error: 'removed: the mapped list got shorter' }, { states: ['none'] })));
    await this.store.updateTaskInstance(key, { state: 'mapped' }, { states: ['none'] });
    return new Array<TaskState>(count).fill('scheduled');
  }

  private async expandLists(run: DagRunRecord, task: Task<unknown>): Promise<[string, unknown[]][]> {
    const out: [string, unknown[]][] = [];
    for (const [name, upstream] of Object.entries(task.expand)) {
      const value = await this.outputOf(run, upstream);
      out.push([name, Array.isArray(value) ? value : []]);
    }
    return out;
  }

  /** The value a task passes downstream: its XCom, or the list of its map instances' XComs. */
  private async outputOf(run: DagRunRecord, taskId: string): Promise<unknown> {
    const placeholder = await this.store.getTaskInstance({ dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1 });
    if (placeholder?.state === 'mapped') {
      const xs = await this.store.listXComs(run.dagId, run.runId, taskId);
      return xs.filter((x) => x.key === 'return_value' && x.mapIndex >= 0).map((x) => x.value);
    }
    return (await this.store.getXCom({ dagId: run.dagId, runId: run.runId, taskId, mapIndex: -1 }))?.value ?? null;
  }

  // ---- 5. start ----

  private async startReady(ready: TaskInstanceRecord[], runs: DagRunRecord[]): Promise<void> {
    if (ready.length === 0) return;
    const runOf = new Map(runs.map((r) => [`${r.dagId}\u0000${r.runId}`, r]));
    const position = (ti: TaskInstanceRecord) => this.position.get(ti.dagId)!.get(ti.taskId)!;
    ready.sort((a, b) => runOf.get(`${a.dagId}\u0000${a.runId}`)!.logicalDate - runOf.get(`${b.dagId}\u0000${b.runId}`)!.logicalDate || position(a) - position(b) || a.mapIndex - b.mapIndex);
    const activeList = await this.activeLoad();
    const perDag = countBy(activeList, (a) => a.dagId);
    const perTask = countBy(activeList, (a) => `${a.dagId}\u0000${a.taskId}`);
    const perPool = new Map<string, number>();
    for (const a of activeList) perPool.set(a.pool, (perPool.get(a.pool) ?? 0) + a.poolSlots);
    const pools: Record<string, number> = { default_pool: 128, ...this.opts.pools };
    const chosen: TaskInstanceRecord[] = [];
    for (const ti of ready) {
      if (this.active.size + chosen.length >= this.executor.parallelism) break;
      const dag = this.dag(ti.dagId);
      const task = dag.getTask(ti.taskId);
      const taskKey = `${ti.dagId}\u0000${ti.taskId}`;
      const { pool, poolSlots, maxActiveInstances } = task.options;
      if ((perDag.get(ti.dagId) ?? 0) >= dag.maxActiveTasks) continue;
      if (maxActiveInstances !== undefined && (perTask.get(taskKey) ?? 0) >= maxActiveInstances) continue;
      if ((perPool.get(pool) ?? 0) + poolSlots > (pools[pool] ?? 0)) continue;
      perDag.set(ti.dagId, (perDag.get(ti.dagId) ?? 0) + 1);
      perTask.set(taskKey, (perTask.get(taskKey) ?? 0) + 1);
      perPool.set(pool, (perPool.get(pool) ?? 0) + poolSlots);
      chosen.push(ti);
    }
    const claimed = await this.store.claimTaskInstances(chosen, this.id, chosen.length);
    await Promise.all(claimed.map((ti) => this.launch(ti, runOf.get(`${ti.dagId}\u0000${ti.runId}`)!)));
  }

  /**
   * What occupies DAG, task and pool limits: this scheduler's attempts; on a shared store, every queued or running
   * instance in it, whichever scheduler runs it (so limits hold across peers, give or take peers deciding at the
   * same instant).
   */
  private async activeLoad(): Promise<{ dagId: string; taskId: string; pool: string; poolSlots: number }[]> {
    if (!this.store.shared) return [...this.active.values()].map((a) => ({ dagId: a.key.dagId, taskId: a.key.taskId, pool: a.task.options.pool, poolSlots: a.task.options.poolSlots }));
    return (await this.store.listTaskInstances({ states: ['queued', 'running'] })).map((ti) => {
      const dag = this.dags.get(ti.dagId);
      const o = dag?.hasTask(ti.taskId) ? dag.getTask(ti.taskId).options : undefined;
      return { dagId: ti.dagId, taskId: ti.taskId, pool: o?.pool ?? 'default_pool', poolSlots: o?.poolSlots ?? 1 };
    });
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
      inputs: await this.inputsOf(run, task, ti.mapIndex), firstAttemptAt: ti.firstAttemptAt, metadataStore: this.opts.storeLocation,
    };
    const attemptId = `${taskInstanceId(ti)}#${tryNumber}`;
    this.active.set(attemptId, { key: { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex }, tryNumber, task });
    this.notify({ ...ti, ...patch });
    const spec: AttemptSpec = { attemptId, dagFile: dag.fileloc ?? '', request, timeoutMs: task.options.executionTimeout };
    const key = this.active.get(attemptId)!.key;
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

  private async inputsOf(run: DagRunRecord, task: Task<unknown>, mapIndex: number): Promise<Record<string, unknown>> {
    const inputs: Record<string, unknown> = {};
    for (const [name, upstream] of Object.entries(task.inputs)) inputs[name] = await this.outputOf(run, upstream);
    if (task.isMapped) {
      // Map index → one element per list, the last list varying fastest (the order of a nested loop).
      let rest = mapIndex;
      const lists = await this.expandLists(run, task);
      for (let i = lists.length - 1; i >= 0; i--) {
        const [name, list] = lists[i]!;
        inputs[name] = list[rest % list.length];
        rest = Math.floor(rest / list.length);
      }
    }
    return inputs;
  }
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}

/** Kills a leftover task process and waits until it is gone (so that its retry never overlaps it). */
async function killAndWait(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  if (!alive()) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Attempts whose owner went silent (step 2 of the scheduler's pass, and its start; see `scheduler.ts`):
 * - `failZombies`: this scheduler's own attempts that stopped beating are killed (the executor then reports them
 *   failed, and they retry); those a peer adopted meanwhile are stopped at once, so that they never run twice;
 * - `adoptOrphans`: queued or running instances no attempt of this scheduler holds. On an exclusive store (checked
 *   at start) every one is the orphan of a stopped scheduler. On a shared store a peer may be alive, so only
 *   instances whose owner went silent are taken: running ones whose heartbeat is older than the zombie threshold,
 *   queued ones unchanged for as long. A started attempt whose worker still runs is adopted (waited for); one whose
 *   worker is gone is handed back without counting a try; a queued one goes back to scheduled. Every change is a
 *   compare-and-set, so two peers never adopt the same one.
 */
import { hostname } from 'node:os';
import { isSameProcessAlive, isTaskRunner, type AttemptLedger } from './attempt-ledger.ts';
import { handBack } from './attempt-outcome.ts';
import { taskInstanceId, type TaskInstanceKey, type TaskInstanceRecord } from './metadata-store.ts';
import type { SchedulerContext } from './scheduler-context.ts';

/** An attempt this scheduler's executor runs. */
export interface HeldAttempt {
  key: TaskInstanceKey;
  tryNumber: number;
}

/**
 * Kills held attempts that were taken over (or cleared, or marked) or stopped beating for `thresholdMs` (see above).
 * Adopted attempts beat into their attempt file, not the store: the scheduler checks those beats itself.
 */
export async function failZombies(ctx: SchedulerContext, held: ReadonlyMap<string, HeldAttempt & { adopted?: unknown }>, kill: (attemptId: string, reason: string) => void, thresholdMs: number): Promise<void> {
  const threshold = ctx.now() - thresholdMs;
  for (const [attemptId, a] of held) {
    const ti = await ctx.store.getTaskInstance(a.key);
    if (ti?.state !== 'running' || ti.tryNumber !== a.tryNumber || ti.owner !== ctx.id) {
      // A peer adopted it (this scheduler looked dead to it, say after a long pause): stop our copy at once.
      kill(attemptId, `taken over: the instance is now ${ti ? `${ti.state} (try ${ti.tryNumber}, owner ${ti.owner ?? 'none'})` : 'gone'}`);
      continue;
    }
    if (!a.adopted && ti.heartbeatAt !== null && ti.heartbeatAt < threshold) {
      await ctx.store.appendLog(a.key, a.tryNumber, `zombie: no heartbeat since ${new Date(ti.heartbeatAt).toISOString()}; killing the attempt\n`);
      kill(attemptId, `zombie: no heartbeat for ${ctx.now() - ti.heartbeatAt} ms`);
    }
  }
}

/** A running attempt of a stopped scheduler whose worker is alive (or has left its result): this scheduler waits for it. */
export interface AdoptedAttempt extends HeldAttempt {
  /** The launch's token (its result file must carry it). */
  token: string;
  pid: number;
  processStart: number | null;
}

/**
 * Takes over orphaned instances (see above); `held` are this scheduler's attempts, never orphans. Returns the
 * attempts it adopted: their workers outlived their scheduler (journal store: `ledger` tells which process runs
 * each, see `attempt-ledger.ts`), and the caller waits for their results.
 * 1. queued (claimed, never started): back to scheduled;
 * 2. running, its worker alive (same pid and process start time on this host) or its result already written:
 *    adopted (the owner becomes this scheduler);
 * 3. running, its worker gone while its scheduler was dead: handed back, its try not counted — a scheduler's death
 *    is not the task's failure. On a shared store (PostgreSQL) the worker of a dead scheduler beats into the store
 *    itself, so a silent one is gone — unless its process still runs on this host: then it hangs (its own fault, it
 *    stopped beating), and it is killed and counts as a failed try, as a zombie does.
 */
export async function adoptOrphans(ctx: SchedulerContext, held: Iterable<HeldAttempt>, thresholdMs: number, ledger?: AttemptLedger): Promise<AdoptedAttempt[]> {
  const shared = ctx.store.shared === true;
  const now = ctx.now();
  const silentSince = now - thresholdMs;
  const mine = new Set([...held].map((a) => taskInstanceId(a.key)));
  const lastSign = (ti: TaskInstanceRecord) => (ti.state === 'running' ? (ti.heartbeatAt ?? ti.startDate ?? ti.updatedAt) : ti.updatedAt);
  // A shared store's instance is an orphan once silent for the threshold — or at once if its scheduler ran on this
  // host and its process is gone, and so is its worker (an orphaned worker records its pid with its first beat).
  const workerGone = (ti: TaskInstanceRecord) => (ti.pid !== null ? ti.hostname === hostname() && !isSameProcessAlive(ti.pid, null) : (ti.startDate ?? ti.updatedAt) < now - BOOT_MARGIN_MS);
  const orphaned = (ti: TaskInstanceRecord) => ti.owner !== ctx.id && (lastSign(ti) < silentSince || (ownerGoneHere(ti.owner) && (ti.state === 'queued' || workerGone(ti))));
  const orphans = (await ctx.store.listTaskInstances({ states: ['queued', 'running'] }))
    .filter((ti) => !mine.has(taskInstanceId(ti)) && (!shared || orphaned(ti)));
  const adopted: AdoptedAttempt[] = [];
  for (const ti of orphans) {
    const was = `the scheduler that ran this attempt (${ti.owner ?? 'unknown'}) stopped`;
    if (ti.state === 'queued') {
      const patch: Partial<TaskInstanceRecord> = { state: 'scheduled', scheduledAt: ctx.now(), owner: null };
      if (await ctx.store.updateTaskInstance(ti, patch, { states: ['queued'], tryNumber: ti.tryNumber })) ctx.notify({ ...ti, ...patch });
      continue;
    }
    const a = { key: { dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex }, tryNumber: ti.tryNumber };
    const rec = ledger?.readAttempt(ti, ti.tryNumber);
    const live = rec !== undefined && rec.hostname === hostname() && isSameProcessAlive(rec.pid, rec.processStart);
    // Read after the liveness check: a worker that finished just before it has written its result by then.
    if (rec && (live || ledger!.readResult(ti, ti.tryNumber, rec.token))) {
      if (await ctx.store.updateTaskInstance(ti, { owner: ctx.id }, { states: ['running'], tryNumber: ti.tryNumber })) {
        await ctx.store.appendLog(ti, ti.tryNumber, `${was}; its task process ${rec.pid} ${live ? 'runs on' : 'has finished'}: adopted by ${ctx.id}\n`);
        adopted.push({ ...a, token: rec.token, pid: rec.pid, processStart: rec.processStart });
      }
      continue;
    }
    const local = ti.pid !== null && ti.hostname === hostname() && ti.pid !== process.pid && isSameProcessAlive(ti.pid, null) && isTaskRunner(ti.pid);
    if (shared && local) {
      // Alive but silent for the whole threshold: it hangs. Killed, and counted like a zombie.
      await killAndWait(ti.pid!);
      const error = `zombie: no heartbeat since ${new Date(lastSign(ti)).toISOString()} (threshold ${thresholdMs} ms) while its scheduler ${ti.owner ?? 'unknown'} was gone; killed by ${ctx.id}`;
      const dag = ctx.dags.get(ti.dagId);
      const task = dag?.hasTask(ti.taskId) ? dag.getTask(ti.taskId) : undefined;
      const patch: Partial<TaskInstanceRecord> = ti.tryNumber < ti.maxTries
        ? { state: 'up_for_retry', error, endDate: ctx.now(), nextAttemptAt: ctx.now() + (task?.retryDelayAfter(ti.tryNumber) ?? 0), pid: null, owner: null }
        : { state: 'failed', error, endDate: ctx.now(), pid: null, owner: null };
      if (await ctx.store.updateTaskInstance(ti, patch, { states: ['running'], tryNumber: ti.tryNumber })) {
        await ctx.store.appendLog(ti, ti.tryNumber, `${error}\n`);
        ctx.notify({ ...ti, ...patch });
      }
      continue;
    }
    // A task process of this host that no attempt file vouches for (a Riffle before attempt files, or one that lost
    // its file) is killed first, so that the attempt handed back never runs beside it.
    if (local && !rec) await killAndWait(ti.pid!);
    const gone = shared
      ? `no sign of scheduler ${ti.owner ?? 'unknown'} nor of its task process since ${new Date(lastSign(ti)).toISOString()} (threshold ${thresholdMs} ms); ${ctx.id} took over`
      : `${was} and its task process${rec ? ` ${rec.pid}` : ''} is gone; reset by ${ctx.id}`;
    await handBack(ctx, a, gone);
    ledger?.remove(ti, ti.tryNumber);
  }
  return adopted;
}

/** How long a worker may take to load and record its pid before its attempt counts as never started. */
const BOOT_MARGIN_MS = 10_000;

/** The scheduler `owner` (its id: `host:pid:suffix`) ran on this host and its process is gone. */
function ownerGoneHere(owner: string | null): boolean {
  const m = owner === null ? null : /^(.+):(\d+):[0-9a-f]{8}$/.exec(owner);
  return m !== null && m[1] === hostname() && Number(m[2]) !== process.pid && !isSameProcessAlive(Number(m[2]), null);
}

/** Kills a leftover task process (and its process group, if it leads one) and waits until it is gone. */
export async function killAndWait(pid: number): Promise<void> {
  if (!isSameProcessAlive(pid, null)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
  }
  for (let i = 0; i < 100 && isSameProcessAlive(pid, null); i++) await new Promise((r) => setTimeout(r, 20));
}

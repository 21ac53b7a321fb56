/**
 * Attempts whose owner went silent (step 2 of the scheduler's pass, and its start; see `scheduler.ts`):
 * - `failZombies`: this scheduler's own attempts that stopped beating are killed (the executor then reports them
 *   failed, and they retry); those a peer adopted meanwhile are stopped at once, so that they never run twice;
 * - `adoptOrphans`: queued or running instances no attempt of this scheduler holds. On an exclusive store (checked
 *   at start) every one is the orphan of a stopped scheduler. On a shared store a peer may be alive, so only
 *   instances whose owner went silent are taken: running ones whose heartbeat is older than the zombie threshold,
 *   queued ones unchanged for as long. A started attempt counts as a failed try (it retries if it may); a queued
 *   one goes back to scheduled. Every change is a compare-and-set, so two peers never adopt the same one.
 */
import { hostname } from 'node:os';
import { taskInstanceId, type TaskInstanceKey, type TaskInstanceRecord } from './metadata-store.ts';
import type { SchedulerContext } from './scheduler-context.ts';

/** An attempt this scheduler's executor runs. */
export interface HeldAttempt {
  key: TaskInstanceKey;
  tryNumber: number;
}

/** Kills held attempts that were taken over or stopped beating for `thresholdMs` (see above). */
export async function failZombies(ctx: SchedulerContext, held: ReadonlyMap<string, HeldAttempt>, kill: (attemptId: string, reason: string) => void, thresholdMs: number): Promise<void> {
  const threshold = ctx.now() - thresholdMs;
  for (const [attemptId, a] of held) {
    const ti = await ctx.store.getTaskInstance(a.key);
    if (ti?.state !== 'running' || ti.tryNumber !== a.tryNumber || ti.owner !== ctx.id) {
      // A peer adopted it (this scheduler looked dead to it, say after a long pause): stop our copy at once.
      kill(attemptId, `taken over: the instance is now ${ti ? `${ti.state} (try ${ti.tryNumber}, owner ${ti.owner ?? 'none'})` : 'gone'}`);
      continue;
    }
    if (ti.heartbeatAt !== null && ti.heartbeatAt < threshold) {
      await ctx.store.appendLog(a.key, a.tryNumber, `zombie: no heartbeat since ${new Date(ti.heartbeatAt).toISOString()}; killing the attempt\n`);
      kill(attemptId, `zombie: no heartbeat for ${ctx.now() - ti.heartbeatAt} ms`);
    }
  }
}

/** Takes over orphaned instances (see above); `held` are this scheduler's attempts, never orphans. */
export async function adoptOrphans(ctx: SchedulerContext, held: Iterable<HeldAttempt>, thresholdMs: number): Promise<void> {
  const shared = ctx.store.shared === true;
  const now = ctx.now();
  const silentSince = now - thresholdMs;
  const mine = new Set([...held].map((a) => taskInstanceId(a.key)));
  const lastSign = (ti: TaskInstanceRecord) => (ti.state === 'running' ? (ti.heartbeatAt ?? ti.startDate ?? ti.updatedAt) : ti.updatedAt);
  const orphans = (await ctx.store.listTaskInstances({ states: ['queued', 'running'] }))
    .filter((ti) => !mine.has(taskInstanceId(ti)) && (!shared || (ti.owner !== ctx.id && lastSign(ti) < silentSince)));
  for (const ti of orphans) {
    // A task process left on this machine is killed first, so that its retry never runs beside it.
    if (ti.pid !== null && ti.hostname === hostname() && ti.pid !== process.pid) await killAndWait(ti.pid);
    const dag = ctx.dags.get(ti.dagId);
    const task = dag?.hasTask(ti.taskId) ? dag.getTask(ti.taskId) : undefined;
    const attempted = ti.state === 'running';
    const error = shared
      ? `no sign of scheduler ${ti.owner ?? 'unknown'} since ${new Date(lastSign(ti)).toISOString()} (threshold ${thresholdMs} ms); adopted by ${ctx.id}`
      : `the scheduler that ran this attempt (${ti.owner ?? 'unknown'}) stopped; reset by ${ctx.id}`;
    const retry = !attempted || ti.tryNumber < ti.maxTries;
    const patch: Partial<TaskInstanceRecord> = !attempted
      ? { state: 'scheduled', scheduledAt: ctx.now(), owner: null }
      : retry
        ? { state: 'up_for_retry', error, endDate: ctx.now(), nextAttemptAt: ctx.now() + (task?.retryDelayAfter(ti.tryNumber) ?? 0), pid: null, owner: null }
        : { state: 'failed', error, endDate: ctx.now(), pid: null, owner: null };
    if (await ctx.store.updateTaskInstance(ti, patch, { states: [ti.state], tryNumber: ti.tryNumber })) {
      if (attempted) await ctx.store.appendLog(ti, ti.tryNumber, `${error}\n`);
      ctx.notify({ ...ti, ...patch });
    }
  }
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

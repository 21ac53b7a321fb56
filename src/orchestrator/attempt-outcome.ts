/**
 * Records how an attempt ended (step 1 of the scheduler's pass, see `scheduler.ts`): success (with its XComs, in
 * the same commit as the state), skipped, a sensor's reschedule (which gives its try back), or a failure — retried
 * after the task's backoff while tries remain, else failed — and runs the task's callback. Only the attempt that
 * still holds the instance (running, same try) is recorded: one cleared or adopted meanwhile changes nothing.
 * Also used by a worker whose scheduler died (`task-runner.ts`), on a store it can write (PostgreSQL).
 *
 * `handBack` is the other way an attempt ends: not by the task but by the scheduler (it stopped before the attempt
 * finished, or found at start that the worker of a dead scheduler's attempt is gone). The instance is ready again
 * and its try is given back: a scheduler's death is not the task's failure.
 */
import type { TaskInstanceRecord, XComRecord } from './metadata-store.ts';
import type { SchedulerContext } from './scheduler-context.ts';
import type { AttemptOutcome } from './task-attempt.ts';
import type { CallbackInfo, Task } from './task.ts';
import type { HeldAttempt } from './takeover.ts';

/** An attempt this scheduler started, with its task (for retries and callbacks). */
export interface StartedAttempt extends HeldAttempt {
  task: Task<unknown>;
}

/** Records `outcome` of attempt `a` (see above). */
export async function recordOutcome(ctx: SchedulerContext, a: StartedAttempt, outcome: AttemptOutcome): Promise<void> {
  const { store } = ctx;
  const ti = await store.getTaskInstance(a.key);
  if (!ti || ti.state !== 'running' || ti.tryNumber !== a.tryNumber) return; // cleared or reset meanwhile
  const now = ctx.now();
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
      await store.appendLog(a.key, ti.tryNumber, `attempt ${ti.tryNumber} failed: ${outcome.error}\n`);
      break;
    }
  }
  const [updated] = await Promise.all([store.updateTaskInstance(a.key, patch, { states: ['running'], tryNumber: a.tryNumber }), ...xcoms.map((x) => store.setXCom(x))]);
  if (updated) {
    ctx.notify({ ...ti, ...patch });
    if (callback?.fn) runCallback(ctx, callback.fn, { ...a.key, tryNumber: ti.tryNumber, state: callback.state, error: patch.error ?? undefined });
  }
}

function runCallback(ctx: SchedulerContext, fn: (i: CallbackInfo) => void | Promise<void>, info: CallbackInfo): void {
  // Callbacks run in the scheduler's process (so they also fire for crashed and killed attempts); a failing
  // callback is logged with the attempt and changes nothing.
  void Promise.resolve()
    .then(() => fn(info))
    .catch((e: unknown) => ctx.store.appendLog(info, info.tryNumber, `callback failed: ${e instanceof Error ? e.message : String(e)}\n`).catch(() => undefined));
}

/** Hands attempt `a` back (see above): ready again, its try not counted; `reason` goes to the attempt's log. */
export async function handBack(ctx: SchedulerContext, a: HeldAttempt, reason: string): Promise<boolean> {
  const now = ctx.now();
  const patch: Partial<TaskInstanceRecord> = { state: 'scheduled', scheduledAt: now, tryNumber: a.tryNumber - 1, owner: null, pid: null, heartbeatAt: null, endDate: now, error: null };
  if (!(await ctx.store.updateTaskInstance(a.key, patch, { states: ['running'], tryNumber: a.tryNumber }))) return false;
  await ctx.store.appendLog(a.key, a.tryNumber, `${reason}; handed back without counting a try\n`);
  const ti = await ctx.store.getTaskInstance(a.key);
  if (ti) ctx.notify(ti);
  return true;
}

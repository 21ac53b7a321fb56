import { describeTrigger, type Trigger } from '../../model/index.ts';
import { AfterAllStateMachine } from './after-all.ts';
import { AfterCountStateMachine } from './after-count.ts';
import { AfterEachStateMachine } from './after-each.ts';
import { AfterFirstStateMachine } from './after-first.ts';
import { AfterProcessingTimeStateMachine } from './after-processing-time.ts';
import { AfterSynchronizedProcessingTimeStateMachine } from './after-synchronized-processing-time.ts';
import { AfterWatermarkEarlyLateStateMachine, AfterWatermarkStateMachine } from './after-watermark.ts';
import { DefaultStateMachine } from './default.ts';
import { NeverStateMachine } from './never.ts';
import { OrFinallyStateMachine } from './or-finally.ts';
import { RepeatedlyStateMachine } from './repeatedly.ts';
import type { TriggerStateMachine } from './trigger-context.ts';

/**
 * True for triggers that fire at most once (Beam's OnceTrigger): the only ones allowed as AfterWatermark's early/late
 * firings (which repeat implicitly), inside AfterAny/AfterAll, and as OrFinally's `until`.
 */
export function isOnceTrigger(t: Trigger): boolean {
  switch (t.kind) {
    case 'afterCount':
    case 'afterProcessingTime':
    case 'afterSynchronizedProcessingTime':
    case 'never':
      return true;
    case 'afterWatermark':
      return t.early === undefined && t.late === undefined;
    case 'afterFirst':
    case 'afterAll':
      return t.triggers.every(isOnceTrigger);
    default:
      return false;
  }
}

function requireOnce(t: Trigger, role: string): void {
  if (!isOnceTrigger(t)) {
    throw new TypeError(
      `${role} must be a trigger that fires at most once (afterCount, afterProcessingTime, afterWatermark(), never, or ` +
        `afterFirst/afterAll of those), got ${describeTrigger(t)}; drop the repeatedly(...) — it repeats already where that makes sense`,
    );
  }
}

/** Checks a trigger the way Beam does before running it; throws RangeError/TypeError saying what is expected. */
export function validateTrigger(t: Trigger): void {
  switch (t.kind) {
    case 'default':
    case 'never':
    case 'afterSynchronizedProcessingTime':
      return;
    case 'afterCount':
      if (!Number.isInteger(t.count) || t.count < 1) throw new RangeError(`AfterCount: count must be a positive integer, got ${t.count}`);
      return;
    case 'afterProcessingTime':
      if (!Number.isFinite(t.delay) || t.delay < 0) throw new RangeError(`AfterProcessingTime: delay must be a finite number of milliseconds >= 0, got ${t.delay}`);
      if (t.alignTo !== undefined && (!(t.alignTo.period > 0) || !Number.isFinite(t.alignTo.offset))) {
        throw new RangeError(`AfterProcessingTime: alignTo period must be positive and offset finite, got ${t.alignTo.period}+${t.alignTo.offset}`);
      }
      return;
    case 'afterWatermark':
      if (t.early) {
        requireOnce(t.early, 'AfterWatermark early firings');
        validateTrigger(t.early);
      }
      if (t.late) {
        requireOnce(t.late, 'AfterWatermark late firings');
        validateTrigger(t.late);
      }
      return;
    case 'repeatedly':
      validateTrigger(t.trigger);
      return;
    case 'afterEach':
    case 'afterFirst':
    case 'afterAll': {
      const name = t.kind === 'afterEach' ? 'AfterEach' : t.kind === 'afterFirst' ? 'AfterAny' : 'AfterAll';
      if (t.triggers.length === 0) throw new RangeError(`${name}: needs at least one sub-trigger`);
      for (const sub of t.triggers) {
        if (t.kind !== 'afterEach') requireOnce(sub, `${name} sub-triggers`);
        validateTrigger(sub);
      }
      return;
    }
    case 'orFinally':
      requireOnce(t.until, 'OrFinally until');
      validateTrigger(t.main);
      validateTrigger(t.until);
      return;
    default:
      throw new TypeError(`unknown trigger kind '${(t as { kind: string }).kind}'; expected one of the kinds of model/trigger.ts`);
  }
}

/**
 * Turns a trigger (plain data) into its state machine tree, with one switch. Nodes are numbered in pre-order; the
 * number addresses the node's state and finished bit.
 *
 * @example
 *   const root = triggerStateMachine(triggers.afterWatermark({ early: triggers.afterCount(2) }));
 */
export function triggerStateMachine(trigger: Trigger): TriggerStateMachine {
  validateTrigger(trigger);
  let next = 0;
  const build = (t: Trigger): TriggerStateMachine => {
    const index = next++;
    switch (t.kind) {
      case 'default':
        return new DefaultStateMachine(index);
      case 'never':
        return new NeverStateMachine(index);
      case 'afterCount':
        return new AfterCountStateMachine(index, t.count);
      case 'afterProcessingTime':
        return new AfterProcessingTimeStateMachine(index, t.delay, t.alignTo);
      case 'afterSynchronizedProcessingTime':
        return new AfterSynchronizedProcessingTimeStateMachine(index);
      case 'afterWatermark': {
        if (t.early === undefined && t.late === undefined) return new AfterWatermarkStateMachine(index);
        const early = t.early ? build(t.early) : new NeverStateMachine(next++);
        const late = t.late ? build(t.late) : undefined;
        return new AfterWatermarkEarlyLateStateMachine(index, early, late);
      }
      case 'repeatedly':
        return new RepeatedlyStateMachine(index, build(t.trigger));
      case 'afterEach':
        return new AfterEachStateMachine(index, t.triggers.map(build));
      case 'afterFirst':
        return new AfterFirstStateMachine(index, t.triggers.map(build));
      case 'afterAll':
        return new AfterAllStateMachine(index, t.triggers.map(build));
      case 'orFinally': {
        const main = build(t.main);
        return new OrFinallyStateMachine(index, main, build(t.until));
      }
    }
  };
  return build(trigger);
}

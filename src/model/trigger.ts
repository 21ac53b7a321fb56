import { parseDuration, type DurationLike, type Millis } from './time.ts';

/**
 * Triggers as plain data (what Beam's runner API calls the trigger proto). The state machines that evaluate them live
 * in `semantics/`; `model/` only describes them.
 */
export type Trigger =
  | { readonly kind: 'default' }
  | { readonly kind: 'afterWatermark'; readonly early?: Trigger; readonly late?: Trigger }
  | { readonly kind: 'afterProcessingTime'; readonly delay: Millis; readonly alignTo?: { readonly period: Millis; readonly offset: Millis } }
  | { readonly kind: 'afterSynchronizedProcessingTime' }
  | { readonly kind: 'afterCount'; readonly count: number }
  | { readonly kind: 'repeatedly'; readonly trigger: Trigger }
  | { readonly kind: 'afterEach'; readonly triggers: readonly Trigger[] }
  | { readonly kind: 'afterFirst'; readonly triggers: readonly Trigger[] }
  | { readonly kind: 'afterAll'; readonly triggers: readonly Trigger[] }
  | { readonly kind: 'orFinally'; readonly main: Trigger; readonly until: Trigger }
  | { readonly kind: 'never' };

export type TriggerKind = Trigger['kind'];

function nonEmpty(name: string, triggers: Trigger[]): Trigger[] {
  if (triggers.length === 0) throw new RangeError(`trigger.${name}: needs at least one trigger`);
  return triggers;
}

/**
 * Trigger factories.
 * @example
 *   trigger.afterWatermark({ early: trigger.afterProcessingTime('10s'), late: trigger.afterCount(1) })
 */
export const triggers = {
  /** Fires once when the watermark passes the end of the window, then once for every late element. */
  default(): Trigger {
    return { kind: 'default' };
  },
  afterWatermark(opts: { early?: Trigger; late?: Trigger } = {}): Trigger {
    return { kind: 'afterWatermark', ...(opts.early ? { early: opts.early } : {}), ...(opts.late ? { late: opts.late } : {}) };
  },
  /** Fires `delay` after the first element of the pane arrives (processing time), optionally aligned to a period. */
  afterProcessingTime(delay: DurationLike = 0, opts: { alignTo?: DurationLike; alignOffset?: DurationLike } = {}): Trigger {
    const d = parseDuration(delay, 'trigger.afterProcessingTime delay');
    if (opts.alignTo === undefined) return { kind: 'afterProcessingTime', delay: d };
    const period = parseDuration(opts.alignTo, 'trigger.afterProcessingTime alignTo');
    if (!(period > 0)) throw new RangeError('trigger.afterProcessingTime: alignTo must be positive');
    return { kind: 'afterProcessingTime', delay: d, alignTo: { period, offset: parseDuration(opts.alignOffset ?? 0, 'alignOffset') } };
  },
  afterSynchronizedProcessingTime(): Trigger {
    return { kind: 'afterSynchronizedProcessingTime' };
  },
  afterCount(count: number): Trigger {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`trigger.afterCount: count must be a positive integer, got ${count}`);
    return { kind: 'afterCount', count };
  },
  repeatedly(trigger: Trigger): Trigger {
    return { kind: 'repeatedly', trigger };
  },
  afterEach(...triggers: Trigger[]): Trigger {
    return { kind: 'afterEach', triggers: nonEmpty('afterEach', triggers) };
  },
  afterFirst(...triggers: Trigger[]): Trigger {
    return { kind: 'afterFirst', triggers: nonEmpty('afterFirst', triggers) };
  },
  afterAll(...triggers: Trigger[]): Trigger {
    return { kind: 'afterAll', triggers: nonEmpty('afterAll', triggers) };
  },
  orFinally(main: Trigger, until: Trigger): Trigger {
    return { kind: 'orFinally', main, until };
  },
  never(): Trigger {
    return { kind: 'never' };
  },
};

/** A readable form, e.g. `AfterWatermark(early=AfterCount(2))`. */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'default':
      return 'Default';
    case 'afterWatermark': {
      const parts = [t.early ? `early=${describeTrigger(t.early)}` : '', t.late ? `late=${describeTrigger(t.late)}` : ''].filter(Boolean);
      return `AfterWatermark(${parts.join(', ')})`;
    }
    case 'afterProcessingTime':
      return `AfterProcessingTime(${t.delay}${t.alignTo ? `, align=${t.alignTo.period}+${t.alignTo.offset}` : ''})`;
    case 'afterSynchronizedProcessingTime':
      return 'AfterSynchronizedProcessingTime';
    case 'afterCount':
      return `AfterCount(${t.count})`;
    case 'repeatedly':
      return `Repeatedly(${describeTrigger(t.trigger)})`;
    case 'afterEach':
      return `AfterEach(${t.triggers.map(describeTrigger).join(', ')})`;
    case 'afterFirst':
      return `AfterAny(${t.triggers.map(describeTrigger).join(', ')})`;
    case 'afterAll':
      return `AfterAll(${t.triggers.map(describeTrigger).join(', ')})`;
    case 'orFinally':
      return `OrFinally(${describeTrigger(t.main)}, ${describeTrigger(t.until)})`;
    case 'never':
      return 'Never';
  }
}

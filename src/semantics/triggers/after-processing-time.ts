import type { Instant, Millis } from '../../model/index.ts';
import { stateTags } from '../state.ts';
import { EARLIEST_FN, mergeCombining, TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/**
 * Fires once processing time reaches the first element's arrival time plus `delay` (then rounded up to the next
 * `alignTo` boundary, if any), then finishes. Sets a processing-time timer at that target.
 */
export class AfterProcessingTimeStateMachine extends TriggerStateMachine {
  private readonly targetTag = this.tag((id) => stateTags.combining(id, EARLIEST_FN), 'target');
  constructor(
    index: number,
    readonly delay: Millis,
    readonly alignTo?: { readonly period: Millis; readonly offset: Millis },
  ) {
    super(index);
  }
  /** The clock this trigger runs on. */
  protected now(c: TriggerContext): Instant {
    return c.currentProcessingTime();
  }
  /** The firing time for a first element arriving at `now`. */
  target(now: Instant): Instant {
    const t = now + this.delay;
    if (this.alignTo === undefined) return t;
    const { period, offset } = this.alignTo;
    const since = (((t - offset) % period) + period) % period;
    return since === 0 ? t : t + period - since;
  }
  onElement(c: TriggerContext): void {
    const cell = c.state.state(c.namespace, this.targetTag);
    if (!cell.isEmpty()) return;
    const target = this.target(this.now(c));
    cell.add(target);
    c.setTimer(target, 'processing');
  }
  onMerge(c: TriggerMergeContext): void {
    if (c.finishedInAnyMergingWindow(this.index)) {
      this.setFinished(c, true);
      for (const ns of c.mergingNamespaces) c.state.state(ns, this.targetTag).clear();
      return;
    }
    // The earliest target of the merged windows wins; make sure a timer is set for it in the result window.
    const merged = mergeCombining(c, this.targetTag);
    if (!merged.isEmpty()) c.setTimer(merged.read(), 'processing');
  }
  shouldFire(c: TriggerContext): boolean {
    const cell = c.state.state(c.namespace, this.targetTag);
    return !cell.isEmpty() && this.now(c) >= cell.read();
  }
  onFire(c: TriggerContext): void {
    this.clear(c);
    this.setFinished(c, true);
  }
  override clear(c: TriggerContext): void {
    c.state.state(c.namespace, this.targetTag).clear();
  }
}

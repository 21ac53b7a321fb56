import { stateTags } from '../state.ts';
import { COUNT_FN, mergeCombining, TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Fires once the pane holds `count` elements, then finishes. */
export class AfterCountStateMachine extends TriggerStateMachine {
  private readonly countTag = this.tag((id) => stateTags.combining(id, COUNT_FN), 'count');
  constructor(
    index: number,
    readonly count: number,
  ) {
    super(index);
  }
  onElement(c: TriggerContext): void {
    c.state.state(c.namespace, this.countTag).add(1);
  }
  onMerge(c: TriggerMergeContext): void {
    // Done in one of the merged windows: done in the result, whatever the counts say.
    if (c.finishedInAnyMergingWindow(this.index)) {
      this.setFinished(c, true);
      for (const ns of c.mergingNamespaces) c.state.state(ns, this.countTag).clear();
      return;
    }
    mergeCombining(c, this.countTag);
  }
  shouldFire(c: TriggerContext): boolean {
    return c.state.state(c.namespace, this.countTag).read() >= this.count;
  }
  onFire(c: TriggerContext): void {
    this.clear(c);
    this.setFinished(c, true);
  }
  override clear(c: TriggerContext): void {
    c.state.state(c.namespace, this.countTag).clear();
  }
}

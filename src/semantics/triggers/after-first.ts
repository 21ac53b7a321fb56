import { TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** AfterAny: fires when any sub-trigger fires, then finishes (sub-triggers that were not ready lose their pane). */
export class AfterFirstStateMachine extends TriggerStateMachine {
  onElement(c: TriggerContext): void {
    for (const sub of this.subTriggers) sub.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    for (const sub of this.subTriggers) sub.onMerge(c);
    if (this.subTriggers.some((s) => s.isFinished(c))) this.setFinished(c, true);
  }
  shouldFire(c: TriggerContext): boolean {
    return this.subTriggers.some((s) => s.shouldFire(c));
  }
  onFire(c: TriggerContext): void {
    for (const sub of this.subTriggers) {
      if (sub.shouldFire(c)) sub.onFire(c);
      else sub.clear(c);
    }
    this.setFinished(c, true);
  }
}

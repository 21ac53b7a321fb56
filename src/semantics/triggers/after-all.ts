import { TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Fires when every sub-trigger has fired or is ready to, then finishes. */
export class AfterAllStateMachine extends TriggerStateMachine {
  onElement(c: TriggerContext): void {
    for (const sub of this.subTriggers) sub.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    for (const sub of this.subTriggers) sub.onMerge(c);
    if (this.subTriggers.every((s) => s.isFinished(c))) this.setFinished(c, true);
  }
  shouldFire(c: TriggerContext): boolean {
    return this.subTriggers.every((s) => s.isFinished(c) || s.shouldFire(c));
  }
  onFire(c: TriggerContext): void {
    // Sub-triggers fire at most once: firing them all makes them finish.
    for (const sub of this.subTriggers) if (!sub.isFinished(c)) sub.onFire(c);
    this.setFinished(c, true);
  }
}

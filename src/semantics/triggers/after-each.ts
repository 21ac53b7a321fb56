import { TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Runs its sub-triggers in sequence: fires whenever the current one fires; finishes after the last one finishes. */
export class AfterEachStateMachine extends TriggerStateMachine {
  private current(c: TriggerContext): TriggerStateMachine | undefined {
    return this.subTriggers.find((s) => !s.isFinished(c));
  }
  onElement(c: TriggerContext): void {
    if (!c.isMerging) {
      this.current(c)?.onElement(c);
      return;
    }
    // With merging a finished sub-trigger may come back to life, so every unfinished one keeps its state current.
    for (const sub of this.subTriggers) sub.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    // Sub-triggers after the first unfinished one start over: they have not begun yet.
    let priorFinished = true;
    for (const sub of this.subTriggers) {
      if (priorFinished) {
        sub.onMerge(c);
        priorFinished = sub.isFinished(c);
      } else {
        sub.resetTree(c);
      }
    }
    this.setFinished(c, this.subTriggers.every((s) => s.isFinished(c)));
  }
  shouldFire(c: TriggerContext): boolean {
    const cur = this.current(c);
    return cur !== undefined && cur.shouldFire(c);
  }
  onFire(c: TriggerContext): void {
    const cur = this.current(c);
    if (cur === undefined) return;
    cur.onFire(c);
    if (c.isMerging) for (const sub of this.subTriggers) if (sub !== cur && !sub.isFinished(c)) sub.clear(c);
    if (this.subTriggers.every((s) => s.isFinished(c))) this.setFinished(c, true);
  }
}

import { TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Fires as `main` does, until `until` fires: that firing is the last one. Finishes when either finishes. */
export class OrFinallyStateMachine extends TriggerStateMachine {
  constructor(
    index: number,
    private readonly main: TriggerStateMachine,
    private readonly until: TriggerStateMachine,
  ) {
    super(index, [main, until]);
  }
  onElement(c: TriggerContext): void {
    this.main.invokeOnElement(c);
    this.until.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    this.main.onMerge(c);
    this.until.onMerge(c);
    this.updateFinished(c);
  }
  shouldFire(c: TriggerContext): boolean {
    return this.main.shouldFire(c) || this.until.shouldFire(c);
  }
  onFire(c: TriggerContext): void {
    if (this.until.shouldFire(c)) {
      this.until.onFire(c);
      this.main.clear(c);
    } else {
      this.main.onFire(c);
    }
    this.updateFinished(c);
  }
  private updateFinished(c: TriggerContext): void {
    if (this.main.isFinished(c) || this.until.isFinished(c)) this.setFinished(c, true);
  }
}

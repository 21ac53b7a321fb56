import { TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Fires whenever its sub-trigger fires, starting the sub-trigger over each time it finishes. Never finishes. */
export class RepeatedlyStateMachine extends TriggerStateMachine {
  constructor(
    index: number,
    private readonly repeated: TriggerStateMachine,
  ) {
    super(index, [repeated]);
  }
  onElement(c: TriggerContext): void {
    this.repeated.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    this.repeated.onMerge(c);
  }
  shouldFire(c: TriggerContext): boolean {
    return this.repeated.shouldFire(c);
  }
  onFire(c: TriggerContext): void {
    this.repeated.onFire(c);
    if (this.repeated.isFinished(c)) this.repeated.resetTree(c);
  }
}

import { TriggerStateMachine, type TriggerContext } from './trigger-context.ts';

/** Never fires: the window emits only at garbage collection (its final pane). */
export class NeverStateMachine extends TriggerStateMachine {
  onElement(): void {}
  onMerge(): void {}
  shouldFire(): boolean {
    return false;
  }
  onFire(_c: TriggerContext): void {}
}

import { endOfWindowReached, TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/**
 * The default trigger: fires when the watermark passes the end of the window, and again for every late pane (so,
 * Repeatedly(AfterWatermark)). It never finishes; the window closes at garbage collection.
 */
export class DefaultStateMachine extends TriggerStateMachine {
  onElement(c: TriggerContext): void {
    if (!endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
  }
  onMerge(c: TriggerMergeContext): void {
    if (!endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
  }
  shouldFire(c: TriggerContext): boolean {
    return endOfWindowReached(c);
  }
  onFire(): void {}
}

import { endOfWindowReached, TriggerStateMachine, type TriggerContext, type TriggerMergeContext } from './trigger-context.ts';

/** Fires once when the input watermark passes the end of the window (an event-time timer at window.maxTimestamp). */
export class AfterWatermarkStateMachine extends TriggerStateMachine {
  onElement(c: TriggerContext): void {
    if (!endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
  }
  onMerge(c: TriggerMergeContext): void {
    // Unfinished in some merged window, or the merged window ends later: it has its on-time firing still to come.
    const done = c.finishedInAllMergingWindows(this.index) && endOfWindowReached(c);
    this.setFinished(c, done);
    if (!done && !endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
  }
  shouldFire(c: TriggerContext): boolean {
    return endOfWindowReached(c);
  }
  onFire(c: TriggerContext): void {
    this.setFinished(c, true);
  }
}

/**
 * AfterWatermark with early and/or late firings. Before the end of the window the early trigger fires (repeating
 * implicitly); the end of the window fires the ON_TIME pane; after it the late trigger fires (repeating implicitly).
 * Without a late trigger, the machine finishes with the ON_TIME pane.
 *
 * The early node's finished bit records the phase: set once the end of the window has been reached.
 */
export class AfterWatermarkEarlyLateStateMachine extends TriggerStateMachine {
  constructor(
    index: number,
    private readonly early: TriggerStateMachine,
    private readonly late: TriggerStateMachine | undefined,
  ) {
    super(index, late ? [early, late] : [early]);
  }
  private inLatePhase(c: TriggerContext): boolean {
    return this.early.isFinished(c);
  }
  onElement(c: TriggerContext): void {
    if (!endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
    if (!this.inLatePhase(c)) this.early.invokeOnElement(c);
    else this.late?.invokeOnElement(c);
  }
  onMerge(c: TriggerMergeContext): void {
    // Still early if some merged window was, or the merged window ends after the watermark: pending elements of the
    // merged windows have not had their on-time firing.
    if (!c.finishedInAllMergingWindows(this.early.index) || !endOfWindowReached(c)) {
      this.early.setFinished(c, false);
      this.early.onMerge(c);
      // The early trigger may have finished by merging (e.g. counts added up); it repeats implicitly.
      this.early.setFinished(c, false);
      if (this.late) {
        this.late.setFinished(c, false);
        this.late.clear(c);
      }
      if (!endOfWindowReached(c)) c.setTimer(c.window.maxTimestamp, 'event');
    } else {
      this.early.setFinished(c, true);
      if (this.late) this.late.onMerge(c);
    }
  }
  shouldFire(c: TriggerContext): boolean {
    if (!this.inLatePhase(c)) return endOfWindowReached(c) || this.early.shouldFire(c);
    return this.late !== undefined && this.late.shouldFire(c);
  }
  onFire(c: TriggerContext): void {
    if (!this.inLatePhase(c)) {
      if (!endOfWindowReached(c)) {
        // An early pane: fire the early trigger and start it over.
        this.early.onFire(c);
        this.early.resetTree(c);
        return;
      }
      // The ON_TIME pane: the early phase is over.
      this.early.resetTree(c);
      this.early.setFinished(c, true);
      if (this.late) this.late.resetTree(c);
      else this.setFinished(c, true);
      return;
    }
    if (this.late) {
      this.late.onFire(c);
      this.late.resetTree(c);
    } else {
      this.setFinished(c, true);
    }
  }
}

import type { Instant } from '../../model/index.ts';
import { AfterProcessingTimeStateMachine } from './after-processing-time.ts';
import type { TriggerContext } from './trigger-context.ts';

/**
 * Fires once synchronized processing time (the processing time every upstream worker has reached) passes the first
 * element's arrival. On one engine that is processing time; the trigger exists so that composite triggers translated
 * from Beam (e.g. continuation triggers) keep their meaning.
 */
export class AfterSynchronizedProcessingTimeStateMachine extends AfterProcessingTimeStateMachine {
  constructor(index: number) {
    super(index, 0);
  }
  protected override now(c: TriggerContext): Instant {
    return c.currentSynchronizedProcessingTime();
  }
}

import type { Instant } from '../../model/index.ts';

/** Processing time. The engine reads it through this port so that tests can run on a virtual clock. */
export interface Clock {
  now(): Instant;
}

export const realClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (TestStream's processing-time advances). */
export class VirtualClock implements Clock {
  constructor(private time: Instant = 0) {}
  now(): Instant {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

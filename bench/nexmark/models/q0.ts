import type { QueryModel } from './common.ts';

/** Q0: every event as it came. */
export const model0: QueryModel = (events) => events.map((e) => `${e.timestamp} ${JSON.stringify(e.value)}`);

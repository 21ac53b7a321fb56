import { sec } from '../queries/query-config.ts';
import { fixedWindowOf, type QueryModel } from './common.ts';

/** Q10: per fixed window that has events, its last instant and how many events were logged for it. */
export const model10: QueryModel = (events, config) => {
  const counts = new Map<number, number>();
  for (const e of events) {
    const end = fixedWindowOf(e.timestamp, sec(config.windowSizeSec)).end;
    counts.set(end - 1, (counts.get(end - 1) ?? 0) + 1);
  }
  return [...counts].map(([maxTs, n]) => `${maxTs} ${n}`);
};

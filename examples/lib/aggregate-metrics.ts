import type { CombineFn } from 'riffle';
import { cents, type SampleEvent } from './sample-events.ts';

/** What AggregateMetrics outputs. */
export interface Metrics {
  readonly total_events: number;
  readonly total_revenue: number;
  readonly unique_users: number;
}

interface MetricsAccumulator {
  total_events: number;
  total_revenue: number;
  users: Set<string>;
}

/**
 * The deep dive's AggregateMetrics CombineFn (events, revenue, distinct users), ported as written: a custom
 * CombineFn rather than `combine.struct`, to show the contract. Accumulators may be mutated and returned.
 */
export function aggregateMetrics(): CombineFn<SampleEvent, MetricsAccumulator, Metrics> {
  return {
    name: 'AggregateMetrics',
    createAccumulator: () => ({ total_events: 0, total_revenue: 0, users: new Set<string>() }),
    addInput(acc, e) {
      acc.total_events += 1;
      acc.total_revenue += e.revenue;
      acc.users.add(e.user_id);
      return acc;
    },
    mergeAccumulators(accs) {
      const merged: MetricsAccumulator = { total_events: 0, total_revenue: 0, users: new Set<string>() };
      for (const a of accs) {
        merged.total_events += a.total_events;
        merged.total_revenue += a.total_revenue;
        for (const u of a.users) merged.users.add(u);
      }
      return merged;
    },
    extractOutput: (acc) => ({ total_events: acc.total_events, total_revenue: cents(acc.total_revenue), unique_users: acc.users.size }),
  };
}

import { combine, trigger, window } from '../../../src/index.ts';
import { justBids, type NexmarkQuery } from './query.ts';
import { sec } from './query-config.ts';
import type { BidsPerSession } from './results.ts';
import { sumPerKey } from './q11.ts';

/**
 * Query 12, processing-time windows: per bidder, bid counts in the global window with a pane windowSizeSec of
 * processing time after the first bid of each pane (Repeatedly(AfterProcessingTime)), discarding.
 *
 * Panes depend on the processing-time clock, so what is compared is the sum over panes per bidder: every bid is
 * counted exactly once (the last pane fires when the input ends).
 */
export const q12: NexmarkQuery<BidsPerSession> = {
  id: 12,
  name: 'processing-time windows',
  build: (events, config) =>
    justBids(events)
      .map((b) => b.bidder, 'Q12.Bidder')
      .apply(
        'Q12.ProcessingTimeWindows',
        window.into<number>(window.global(), {
          trigger: trigger.repeatedly(trigger.afterProcessingTime(sec(config.windowSizeSec))),
          accumulation: 'discarding',
          allowedLateness: 0,
        }),
      )
      .apply('Q12.CountPerBidder', combine.perKey((bidder: number) => bidder, combine.count<number>()))
      .map((e): BidsPerSession => ({ personId: e.key, sessionCount: e.value }), 'Q12.ToResult'),
  canonical: (o) => `${o.value.personId} ${o.value.sessionCount}`,
  summarize: (outs) => sumPerKey(outs, (o) => `${o.value.personId}`),
};

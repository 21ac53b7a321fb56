import type { NexmarkQuery } from './query.ts';
import { q0 } from './q0.ts';
import { q1 } from './q1.ts';
import { q2 } from './q2.ts';
import { q3 } from './q3.ts';
import { q4 } from './q4.ts';
import { q5 } from './q5.ts';
import { q6 } from './q6.ts';
import { q7 } from './q7.ts';
import { q8 } from './q8.ts';
import { q9 } from './q9.ts';
import { q10 } from './q10.ts';
import { q11 } from './q11.ts';
import { q12 } from './q12.ts';

export type { NexmarkQuery } from './query.ts';
export { windowText, compareBids, justBids, justNewAuctions, justNewPersons } from './query.ts';
export { defaultQueryConfig, expectedAuctionDurationMs, queryConfig, type NexmarkQueryConfig } from './query-config.ts';
export type * from './results.ts';
export { winningBids, auctionOrBidWindows, AuctionOrBidWindow } from './winning-bids.ts';
export { q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12 };

/** Queries 0–12, by number. */
export const queries: readonly NexmarkQuery<any>[] = [q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12];

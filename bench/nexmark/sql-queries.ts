/**
 * Nexmark in Riffle SQL: the queries that the streaming SQL subset expresses, each giving the same outputs (values,
 * windows, timestamps) as its transform version in ./queries (test/sql/nexmark-sql.test.ts compares them). The SQL
 * follows the Flink/Beam SQL Nexmark suites, adapted to Beam's configuration (Q1 converts as Beam does, Q5's windows
 * come from windowSizeSec/windowPeriodSec).
 *
 * Not expressible in the subset, so not here: Q3 (an unwindowed join of two streams, kept in state), Q4/Q6/Q9 (bids
 * joined with the auction open at their time, then the winning bid), Q10 (writes files), Q12 (processing-time
 * windows).
 */
import { sql } from '../../src/sql/index.ts';
import type { PCollection } from '../../src/index.ts';
import type { NexmarkEvent } from './model.ts';
import { justBids, justNewAuctions, justNewPersons } from './queries/query.ts';
import type { NexmarkQueryConfig } from './queries/query-config.ts';

export interface NexmarkSqlQuery {
  /** The id of the transform version it equals. */
  readonly id: number;
  readonly sql: (config: NexmarkQueryConfig) => string;
  /** Which tables the query reads. */
  readonly tables: readonly ('event' | 'person' | 'auction' | 'bid')[];
}

const tumble = (table: string, c: NexmarkQueryConfig) => `TABLE(TUMBLE(TABLE ${table}, DESCRIPTOR(dateTime), INTERVAL '${c.windowSizeSec}' SECOND))`;
const hop = (table: string, c: NexmarkQueryConfig) =>
  `TABLE(HOP(TABLE ${table}, DESCRIPTOR(dateTime), INTERVAL '${c.windowPeriodSec}' SECOND, INTERVAL '${c.windowSizeSec}' SECOND))`;

export const sqlQueries: readonly NexmarkSqlQuery[] = [
  { id: 0, tables: ['event'], sql: () => 'SELECT * FROM event' },
  {
    id: 1,
    tables: ['bid'],
    sql: () => 'SELECT auction, bidder, CAST(FLOOR(price * 89 / 100) AS BIGINT) AS price, dateTime, extra FROM bid',
  },
  { id: 2, tables: ['bid'], sql: (c) => `SELECT auction, price FROM bid WHERE MOD(auction, ${c.auctionSkip}) = 0` },
  {
    id: 5,
    tables: ['bid'],
    sql: (c) => `
      SELECT AuctionBids.auction, AuctionBids.num
      FROM (
        SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
        FROM ${hop('bid', c)}
        GROUP BY auction, window_start, window_end
      ) AS AuctionBids
      JOIN (
        SELECT MAX(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
        FROM (
          SELECT COUNT(*) AS num, window_start AS starttime, window_end AS endtime
          FROM ${hop('bid', c)}
          GROUP BY auction, window_start, window_end
        ) AS CountBids
        GROUP BY CountBids.starttime, CountBids.endtime
      ) AS MaxBids
      ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime AND AuctionBids.num >= MaxBids.maxn`,
  },
  {
    id: 7,
    tables: ['bid'],
    sql: (c) => `
      SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra
      FROM ${tumble('bid', c)} B
      JOIN (
        SELECT MAX(price) AS maxprice, window_start, window_end FROM ${tumble('bid', c)} GROUP BY window_start, window_end
      ) M
      ON B.window_start = M.window_start AND B.window_end = M.window_end AND B.price = M.maxprice`,
  },
  {
    id: 8,
    tables: ['person', 'auction'],
    sql: (c) => `
      SELECT P.id, P.name, A.reserve
      FROM ${tumble('person', c)} P
      JOIN ${tumble('auction', c)} A
      ON P.id = A.seller AND P.window_start = A.window_start AND P.window_end = A.window_end`,
  },
  {
    id: 11,
    tables: ['bid'],
    sql: (c) => `SELECT bidder AS personId, COUNT(*) AS sessionCount FROM bid GROUP BY bidder, SESSION(dateTime, INTERVAL '${c.windowSizeSec}' SECOND)`,
  },
];

/** Builds a SQL query over the event stream: the tables it reads are the stream's people, auctions, bids (or events). */
export function buildSqlQuery(q: NexmarkSqlQuery, events: PCollection<NexmarkEvent>, config: NexmarkQueryConfig): PCollection<Record<string, unknown>> {
  const inputs: Record<string, PCollection<any>> = {};
  for (const t of q.tables) inputs[t] = t === 'event' ? events : t === 'bid' ? justBids(events) : t === 'auction' ? justNewAuctions(events) : justNewPersons(events);
  return sql.transform(q.sql(config), { inputs, name: `Q${q.id}.Sql`, engine: 'transforms' });
}

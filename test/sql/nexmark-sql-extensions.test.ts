// Nexmark's streaming SQL extensions (q13–q22 of the Flink/Nexmark suite) that Riffle SQL expresses over Beam's model
// (bids have no channel or url, so q16, q21 and q22 have no columns to read): q13 (a join with a bounded side
// table), q14 (CASE, EXTRACT, string functions, a filter), q15 (per-day counts with FILTER and COUNT DISTINCT),
// q17 (per auction and day), q20 (bids joined with their category-10 auction: a join of two inputs in keyed state).
// Each gives the same rows on streaming SQL as on the DuckDB path over the same bounded bids (and auctions); q15 and
// q17 also run over the unbounded stream in one-day TUMBLE windows and give the same rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTimestamped, parDo, Pipeline, testStream, type PCollection } from '../../src/index.ts';
import { sql } from '../../src/sql/index.ts';
import { eventTimestamp, type Auction, type Bid } from '../../bench/nexmark/model.ts';
import { generateEvents } from '../../bench/nexmark/generator.ts';
import { defaultQueryConfig } from '../../bench/nexmark/queries/index.ts';

const NUM_EVENTS = Number(process.env.NEXMARK_SQL_EVENTS ?? 10_000);
const events = generateEvents(defaultQueryConfig, NUM_EVENTS);
const bids = events.flatMap((e) => (e.type === 'bid' ? [{ value: e.bid, timestamp: eventTimestamp(e) }] : []));
const auctions = events.flatMap((e) => (e.type === 'auction' ? [{ value: e.auction as Auction, timestamp: eventTimestamp(e) }] : []));
const AUCTION = {
  id: 'long', itemName: 'string', description: 'string', initialBid: 'long', reserve: 'long', dateTime: 'long', expires: 'long', seller: 'long', category: 'long', extra: 'string',
} as const;
const side = Array.from({ length: 1000 }, (_, key) => ({ value: { key, value: `side-${key}` }, timestamp: 0 }));
const BID = { auction: 'long', bidder: 'long', price: 'long', dateTime: 'long', extra: 'string' } as const;

const ranks = (what: string) => ['price < 10000', 'price >= 10000 AND price < 1000000', 'price >= 1000000']
  .map((c, i) => `${what} FILTER (WHERE ${c}) AS rank${i + 1}`).join(', ');

const QUERIES: Record<string, string> = {
  q13: 'SELECT B.auction, B.bidder, B.price, B.dateTime, S.value FROM bid B JOIN side_input S ON MOD(B.auction, 1000) = S.key',
  q14: `SELECT auction, bidder, CAST(0.908 AS DOUBLE) * price AS price,
      CASE WHEN EXTRACT(HOUR FROM epoch_ms(dateTime)) >= 8 AND EXTRACT(HOUR FROM epoch_ms(dateTime)) <= 18 THEN 'dayTime'
           WHEN EXTRACT(HOUR FROM epoch_ms(dateTime)) <= 6 OR EXTRACT(HOUR FROM epoch_ms(dateTime)) >= 20 THEN 'nightTime'
           ELSE 'otherTime' END AS bidTimeType,
      dateTime, extra, length(extra) - length(replace(extra, 'c', '')) AS c_counts
    FROM bid WHERE CAST(0.908 AS DOUBLE) * price > 1000000 AND CAST(0.908 AS DOUBLE) * price < 50000000`,
  q15: `SELECT CAST(epoch_ms(dateTime) AS DATE) AS day, COUNT(*) AS total_bids, ${ranks('COUNT(*)').replace(/AS rank/g, 'AS bids_rank')},
      COUNT(DISTINCT bidder) AS total_bidders, ${ranks('COUNT(DISTINCT bidder)').replace(/AS rank/g, 'AS bidders_rank')},
      COUNT(DISTINCT auction) AS total_auctions, ${ranks('COUNT(DISTINCT auction)').replace(/AS rank/g, 'AS auctions_rank')}
    FROM bid GROUP BY CAST(epoch_ms(dateTime) AS DATE)`,
  q17: `SELECT auction, CAST(epoch_ms(dateTime) AS DATE) AS day, COUNT(*) AS total_bids, ${ranks('COUNT(*)')},
      MIN(price) AS min_price, MAX(price) AS max_price, ROUND(AVG(price), 6) AS avg_price, SUM(price) AS sum_price
    FROM bid GROUP BY auction, CAST(epoch_ms(dateTime) AS DATE)`,
  // Flink's q20 without channel and url (Beam's bids have neither).
  q20: `SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra, A.itemName, A.description, A.initialBid, A.reserve, A.dateTime AS auctionTime,
      A.expires, A.seller, A.category, A.extra AS auctionExtra
    FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id WHERE A.category = 10`,
};

async function rows(query: string, engine: 'duckdb' | 'transforms', stream = false): Promise<string[]> {
  const p = Pipeline.create();
  let bid: PCollection<Bid>;
  if (stream) {
    let ts = testStream<Bid>();
    const sorted = bids.slice().sort((a, b) => a.timestamp - b.timestamp);
    for (let i = 0; i < sorted.length; i += 1000) ts = ts.addElements(...sorted.slice(i, i + 1000)).advanceWatermarkTo(sorted[Math.min(i + 1000, sorted.length - 1)]!.timestamp);
    bid = p.apply(ts.advanceWatermarkToInfinity());
  } else bid = p.apply(createTimestamped(bids));
  const sideInput = p.apply('Side', createTimestamped(side));
  const auction = p.apply('Auctions', createTimestamped(auctions));
  const out: string[] = [];
  sql.transform(query, { inputs: { bid: { collection: bid, schema: BID }, side_input: { collection: sideInput, schema: { key: 'long', value: 'string' } }, auction: { collection: auction, schema: AUCTION } }, engine })
    .apply('Collect', parDo<Record<string, unknown>, never>({ process(r) { out.push(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))); } }));
  await p.run();
  return out.sort();
}

for (const [id, query] of Object.entries(QUERIES)) {
  test(`Nexmark ${id} in SQL: streaming SQL equals the DuckDB path on ${bids.length} bids`, async () => {
    const duck = await rows(query, 'duckdb');
    assert.ok(duck.length > 0);
    assert.deepEqual(await rows(query, 'transforms'), duck);
  });
}

test('Nexmark q15 and q17 over the unbounded stream in one-day TUMBLE windows give the per-day rows', async () => {
  for (const id of ['q15', 'q17'] as const) {
    const windowed = QUERIES[id]!
      .replace(/CAST\(epoch_ms\(dateTime\) AS DATE\) AS day/, 'CAST(window_start AS DATE) AS day')
      .replace(/FROM bid GROUP BY (auction, )?CAST\(epoch_ms\(dateTime\) AS DATE\)/, "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' DAY)) GROUP BY $1window_start, window_end");
    assert.notEqual(windowed, QUERIES[id]);
    assert.deepEqual(await rows(windowed, 'transforms', true), await rows(QUERIES[id]!, 'duckdb'), id);
  }
});

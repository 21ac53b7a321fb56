// Joins of two streams in keyed state (stream-join.ts), through sql.transform over TestStreams: when each pair is
// emitted, at which timestamp and in which window, that an interval join's rows leave the state once their bound has
// passed, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIntervalWindow, parDo, Pipeline, testStream, type PCollection } from '../../index.ts';
import { sql } from '../index.ts';
import { SqlError } from '../sql-error.ts';

interface Out { row: Record<string, unknown>; window: string; timestamp: number }

async function collect(p: Pipeline, out: PCollection<Record<string, unknown>>): Promise<Out[]> {
  const seen: Out[] = [];
  out.apply('Collect', parDo<Record<string, unknown>, never>({
    process(row, ctx) {
      seen.push({ row, window: isIntervalWindow(ctx.window) ? `[${ctx.window.start},${ctx.window.end})` : 'global', timestamp: ctx.timestamp });
    },
  }));
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  return seen;
}

const line = (o: Out): string => `${JSON.stringify(o.row)} @${o.timestamp} ${o.window}`;

describe('joins of two streams', () => {
  it('emit each matching pair once, when its second row arrives, whichever side comes first; NULL keys match nothing', async () => {
    const p = Pipeline.create();
    type Row = { side: 's' | 't'; k: number | null; v: string; ts: number };
    const at = (side: 's' | 't', k: number | null, v: string, ts: number) => ({ value: { side, k, v, ts } as Row, timestamp: ts });
    const both = p.apply('Rows', testStream<Row>()
      .addElements(at('s', 1, 's1', 10), at('s', null, 'sNull', 11), at('t', 1, 't1', 50), at('t', null, 'tNull', 51))
      .advanceWatermarkTo(100)
      .addElements(at('t', 2, 't2', 120), at('t', 3, 't3', 130), at('s', 2, 's2', 150), at('s', 1, 's1b', 160))
      .advanceWatermarkToInfinity());
    const s = both.filter((r) => r.side === 's', 'S');
    const t = both.filter((r) => r.side === 't', 'T').map((r) => ({ k: r.k, w: r.v, ts: r.ts }), 'TRows');
    const out = sql.transform('SELECT s.v, t.w FROM s JOIN t ON s.k = t.k', { inputs: { s, t }, engine: 'transforms' });
    const lines = (await collect(p, out)).map(line).sort();
    assert.deepEqual(lines, [
      '{"v":"s1","w":"t1"} @50 global', // at the later row's time
      '{"v":"s1b","w":"t1"} @160 global', // a later row of key 1 meets the kept t1
      '{"v":"s2","w":"t2"} @150 global',
    ]);
  });

  it('an interval join groups per bounded row: one result per auction once the watermark passes its bound, in the window of matching times', async () => {
    const p = Pipeline.create();
    type Ev = { a?: { id: number; start: number; ends: number; reserve: number }; b?: { auction: number; price: number; at: number } };
    const a = (id: number, start: number, ends: number, reserve: number) => ({ value: { a: { id, start, ends, reserve } } as Ev, timestamp: start });
    const b = (auction: number, price: number, t: number) => ({ value: { b: { auction, price, at: t } } as Ev, timestamp: t });
    const events = p.apply('Events', testStream<Ev>()
      .addElements(a(1, 1_000, 5_000, 10), b(1, 5, 1_500) /* under the reserve */, a(2, 2_000, 3_000, 0), b(1, 30, 2_500), b(2, 7, 2_999))
      .advanceWatermarkTo(2_999)
      .addElements(b(2, 9, 3_001) /* after auction 2 closed */, b(1, 20, 4_000))
      .advanceWatermarkToInfinity());
    const auction = events.flatMap((e) => (e.a ? [e.a] : []), 'Auctions');
    const bid = events.flatMap((e) => (e.b ? [e.b] : []), 'Bids');
    const out = sql.transform(`
      SELECT A.id, MAX(B.price) AS top, COUNT(*) AS n, window_start, window_end, window_time
      FROM auction A JOIN bid B ON A.id = B.auction AND B.at BETWEEN A.start - INTERVAL '1' SECOND AND A.ends AND B.price >= A.reserve
      GROUP BY A.id`, { inputs: { auction, bid }, engine: 'transforms' });
    const got = (await collect(p, out)).map((o) => ({ ...o, row: { ...o.row, window_start: (o.row.window_start as Date).getTime(), window_end: (o.row.window_end as Date).getTime(), window_time: (o.row.window_time as Date).getTime() } }));
    assert.deepEqual(got.map(line).sort(), [
      '{"id":1,"top":30,"n":2,"window_start":0,"window_end":5001,"window_time":5000} @5000 [0,5001)',
      '{"id":2,"top":7,"n":1,"window_start":1000,"window_end":3001,"window_time":3000} @3000 [1000,3001)',
    ]);
  });

  it("drops a row from the state once the other side's rows can no longer match it (a late row finds nothing)", async () => {
    const p = Pipeline.create();
    type Ev = { a?: { id: number; start: number; ends: number }; b?: { auction: number; price: number; at: number } };
    const events = p.apply('Events', testStream<Ev>()
      .addElements({ value: { a: { id: 1, start: 1_000, ends: 2_000 } }, timestamp: 1_000 }, { value: { a: { id: 2, start: 1_000, ends: 9_000 } }, timestamp: 1_000 })
      .advanceWatermarkTo(5_000)
      // Both late (behind the watermark) yet within their auction's time: auction 1 has left the state, 2 has not.
      .addElements({ value: { b: { auction: 1, price: 1, at: 1_500 } }, timestamp: 1_500 }, { value: { b: { auction: 2, price: 2, at: 1_500 } }, timestamp: 1_500 })
      .advanceWatermarkToInfinity());
    const auction = events.flatMap((e) => (e.a ? [e.a] : []), 'Auctions');
    const bid = events.flatMap((e) => (e.b ? [e.b] : []), 'Bids');
    const out = sql.transform('SELECT A.id, B.price FROM auction A JOIN bid B ON A.id = B.auction AND B.at >= A.start - INTERVAL \'0\' SECOND AND B.at < A.ends',
      { inputs: { auction, bid }, engine: 'transforms' });
    assert.deepEqual((await collect(p, out)).map((o) => JSON.stringify(o.row)), ['{"id":2,"price":2}']);
  });

  it('a comparison across the sides without an INTERVAL is a condition only (its columns need not be times)', async () => {
    const p = Pipeline.create();
    const rows = p.apply('Rows', testStream<{ k: number; lo?: number; hi?: number; v?: number }>()
      .addElements({ value: { k: 1, lo: 5, hi: 9 }, timestamp: 1_000 }, { value: { k: 1, v: 7 }, timestamp: 2_000 }, { value: { k: 1, v: 10 }, timestamp: 3_000 })
      .advanceWatermarkToInfinity());
    const a = rows.filter((r) => r.lo !== undefined, 'Ranges');
    const b = rows.filter((r) => r.v !== undefined, 'Values');
    const out = sql.transform('SELECT b.v, a.lo FROM a JOIN b ON a.k = b.k AND b.v BETWEEN a.lo AND a.hi', { inputs: { a, b }, engine: 'transforms' });
    assert.deepEqual((await collect(p, out)).map(line), ['{"v":7,"lo":5} @2000 global']);
  });

  it('refuses joins and groupings it cannot keep in bounded state, naming them', () => {
    const p = Pipeline.create();
    const events = p.apply('Events', testStream<{ id: number; start: number; ends: number; auction: number; price: number; at: number }>().advanceWatermarkToInfinity());
    const auction = events.map((e) => ({ id: e.id, start: e.start, ends: e.ends }), 'Auctions');
    const bid = events.map((e) => ({ auction: e.auction, price: e.price, at: e.at }), 'Bids');
    const cases: [string, RegExp, number][] = [
      ['SELECT A.id FROM auction A JOIN bid B ON A.id < B.auction', /a join of two streams without an equality of keys in ON is not supported/, 28],
      ['SELECT A.id FROM auction A LEFT JOIN bid B ON A.id = B.auction', /LEFT JOIN of two streams is not supported/, 28],
      ['SELECT A.id, COUNT(*) FROM auction A JOIN bid B ON A.id = B.auction GROUP BY A.id', /GROUP BY over an unbounded input without a window/, 1],
      ['SELECT B.price, COUNT(*) FROM auction A JOIN bid B ON A.id = B.auction AND B.at BETWEEN A.start - INTERVAL \'1\' SECOND AND A.ends GROUP BY B.price', /GROUP BY over an interval join without the join key of its bounded side/, 1],
      ['SELECT A.id FROM auction A JOIN bid B ON A.id = B.auction AND B.at > A.start - INTERVAL \'1\' SECOND AND B.price > A.ends - INTERVAL \'1\' SECOND', /two event-time columns on one side/, 104],
      ["SELECT id FROM TABLE(TUMBLE((SELECT A.id, MAX(B.price) AS top, window_start FROM auction A JOIN bid B ON A.id = B.auction AND B.at BETWEEN A.start - INTERVAL '1' SECOND AND A.ends GROUP BY A.id), DESCRIPTOR(window_start), INTERVAL '1' SECOND))", /TUMBLE over rows that are already windowed/, 22],
    ];
    for (const [query, message, column] of cases) {
      assert.throws(() => sql.transform(query, { inputs: { auction, bid }, engine: 'transforms' }), (e: unknown) => {
        assert.ok(e instanceof SqlError, `${query}: ${String(e)}`);
        assert.match(e.message, message, query);
        assert.equal(e.column, column, `${query}: ${e.message}`);
        return true;
      });
    }
  });
});

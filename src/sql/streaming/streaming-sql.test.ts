// Streaming SQL (engine 'transforms') gives the same rows as the DuckDB path on the same bounded data, for each
// supported shape: projections and scalar functions, filters with NULLs, grouped aggregates with HAVING and FILTER,
// DISTINCT, joins with a table (inner, left, equi and residual conditions), and windows (TUMBLE/HOP/SESSION in
// Flink's and Beam SQL's spellings, compared with DuckDB per window of a windowed input). Over unbounded input: EMIT
// early firings, and refusals that name the construct and its position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createTimestamped, parDo, Pipeline, testStream, window, isIntervalWindow, type PCollection,
} from '../../index.ts';
import { sql } from '../index.ts';
import { SqlError } from '../sql-error.ts';

interface Out { row: Record<string, unknown>; window: string; timestamp: number; pane: string }

async function collect(p: Pipeline, out: PCollection<Record<string, unknown>>): Promise<Out[]> {
  const seen: Out[] = [];
  out.apply('Collect', parDo<Record<string, unknown>, never>({
    process(row, ctx) {
      seen.push({ row, window: isIntervalWindow(ctx.window) ? `[${ctx.window.start},${ctx.window.end})` : 'global', timestamp: ctx.timestamp, pane: `${ctx.pane.timing}` });
    },
  }));
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  return seen;
}

const text = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
const rowsText = (outs: Out[]): string[] => outs.map((o) => text(o.row)).sort();

const orders = [
  { id: 1, customer: 'ann', country: 'fr', amount: 10.5, qty: 2, note: 'gift', ts: 1_000 },
  { id: 2, customer: 'bob', country: 'de', amount: 20, qty: 1, note: null, ts: 4_000 },
  { id: 3, customer: 'ann', country: 'fr', amount: null, qty: 5, note: '  rush ', ts: 9_500 },
  { id: 4, customer: 'cid', country: 'es', amount: 7.25, qty: 3, note: 'Gift wrap', ts: 12_000 },
  { id: 5, customer: 'bob', country: 'de', amount: 99.5, qty: 0, note: 'x', ts: 15_000 },
  { id: 6, customer: 'dan', country: null, amount: 1, qty: 7, note: '', ts: 31_000 },
];
const countries = [{ code: 'fr', name: 'France', rate: 2 }, { code: 'de', name: 'Germany', rate: 3 }, { code: 'it', name: 'Italy', rate: 4 }];
const SCHEMA = { id: 'long', customer: 'string', country: 'string', amount: 'double', qty: 'long', note: 'string', ts: 'long' } as const;
const COUNTRY_SCHEMA = { code: 'string', name: 'string', rate: 'long' } as const;

/** Runs the query on both engines over the same bounded inputs and returns both outputs. */
async function both(query: string, windowed?: string): Promise<{ duck: Out[]; compiled: Out[] }> {
  const go = async (engine: 'duckdb' | 'transforms') => {
    const p = Pipeline.create();
    let o: PCollection<any> = p.apply(createTimestamped(orders.map((r) => ({ value: r, timestamp: r.ts }))));
    if (windowed) o = o.apply(window.into(window.fixed(windowed)));
    const c = p.apply('Countries', createTimestamped(countries.map((r) => ({ value: r, timestamp: 0 }))));
    return collect(p, sql.transform(query, { inputs: { orders: { collection: o, schema: SCHEMA }, countries: { collection: c, schema: COUNTRY_SCHEMA } }, engine }));
  };
  return { duck: await go('duckdb'), compiled: await go('transforms') };
}

async function same(query: string): Promise<void> {
  const { duck, compiled } = await both(query);
  assert.ok(duck.length > 0, 'the query gives rows');
  assert.deepEqual(rowsText(compiled), rowsText(duck), query);
}

describe('streaming SQL equals the DuckDB path on bounded data', () => {
  it('projections, arithmetic, CASE, CAST, string functions, COALESCE and NULLs', () => same(`
    SELECT id, qty * 2 + 1 AS a, amount / 2 AS half, -qty AS neg, qty % 2 AS odd, amount IS NULL AS missing,
      CASE WHEN amount > 15 THEN 'big' WHEN amount > 5 THEN 'mid' ELSE 'small' END AS size,
      CASE country WHEN 'fr' THEN 1 WHEN 'de' THEN 2 END AS code,
      CAST(qty AS DOUBLE) AS dq, CAST(amount AS BIGINT) AS rounded, CAST(id AS VARCHAR) || '-' || customer AS label,
      upper(customer) AS u, lower('ABC') AS l, length(customer) AS len, substring(customer, 2, 2) AS sub, trim(note) AS t,
      replace(customer, 'n', 'N') AS r, COALESCE(amount, 0) AS amt, NULLIF(qty, 0) AS nz, abs(-qty) AS ab, round(amount, 1) AS ro,
      floor(amount) AS fl, ceil(amount) AS ce, greatest(qty, 3) AS g, least(qty, 3) AS le, concat(customer, NULL, '!') AS cc,
      note LIKE '%ift%' AS likes, country IN ('fr', 'es') AS inlist, qty BETWEEN 1 AND 3 AS btw, starts_with(customer, 'a') AS sw
    FROM orders`));

  it('WHERE with three-valued logic', () => same(`
    SELECT id FROM orders WHERE (amount > 5 OR note IS NULL) AND NOT (country = 'es') AND country IS NOT NULL`));

  it('GROUP BY with COUNT, SUM, AVG, MIN, MAX, COUNT DISTINCT, FILTER and HAVING', () => same(`
    SELECT country, COUNT(*) AS n, COUNT(amount) AS priced, SUM(qty) AS units, AVG(amount) AS mean, MIN(customer) AS first,
      MAX(amount) AS top, COUNT(DISTINCT customer) AS customers, COUNT(*) FILTER (WHERE qty > 1) AS multi,
      SUM(qty) * 2 AS doubled
    FROM orders GROUP BY country HAVING COUNT(*) >= 1 AND SUM(qty) > 2`));

  it("engine 'auto' compiles a bounded query that uses window functions or EMIT (DuckDB does not know them)", async () => {
    const p = Pipeline.create();
    const o = p.apply(createTimestamped(orders.map((r) => ({ value: r, timestamp: r.ts }))));
    const out = await collect(p, sql.transform("SELECT COUNT(*) AS n FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end", { inputs: { orders: o } }));
    assert.deepEqual(out.map((x) => `${x.window} ${String(x.row.n)}`).sort(), ['[0,10000) 3', '[10000,20000) 2', '[30000,40000) 1']);
  });

  it('a global aggregate and SELECT DISTINCT', async () => {
    await same('SELECT COUNT(*) AS n, SUM(amount) AS total, MAX(ts) AS last FROM orders');
    await same('SELECT DISTINCT customer, country FROM orders');
  });

  it('joins with a table: inner and left, equi and residual conditions', async () => {
    await same('SELECT o.id, c.name, o.qty * c.rate AS scaled FROM orders o JOIN countries c ON o.country = c.code');
    await same('SELECT o.id, c.name FROM orders o LEFT JOIN countries c ON o.country = c.code AND c.rate > 2');
    await same('SELECT o.id, c.name FROM countries c JOIN orders o ON c.code = o.country WHERE o.qty > 1');
    await same('SELECT o.id, c.name FROM orders o JOIN countries c ON o.qty < c.rate');
    await same('SELECT c.name, COUNT(*) AS n, SUM(o.qty) AS q FROM orders o JOIN countries c ON o.country = c.code GROUP BY c.name');
  });

  it("windows: Flink's TUMBLE/HOP/SESSION and Beam's GROUP BY TUMBLE equal DuckDB per window of a windowed input", async () => {
    const per = async (compiledQuery: string, duckQuery: string, duckWindow: (p: PCollection<any>) => PCollection<any>) => {
      const p = Pipeline.create();
      const o = p.apply(createTimestamped(orders.map((r) => ({ value: r, timestamp: r.ts }))));
      const compiled = await collect(p, sql.transform(compiledQuery, { inputs: { orders: { collection: o, schema: SCHEMA } }, engine: 'transforms' }));
      const p2 = Pipeline.create();
      const o2 = duckWindow(p2.apply(createTimestamped(orders.map((r) => ({ value: r, timestamp: r.ts })))));
      const duck = await collect(p2, sql.transform(duckQuery, { inputs: { orders: { collection: o2, schema: SCHEMA } }, engine: 'duckdb' }));
      const c = compiled.map((x) => { const { ws, we, ...rest } = x.row as { ws: Date; we: Date }; assert.equal(`[${ws.getTime()},${we.getTime()})`, x.window); return `${x.window} ${text(rest)}`; }).sort();
      const d = duck.map((x) => `${x.window} ${text(x.row)}`).sort();
      assert.ok(d.length > 1);
      assert.deepEqual(c, d);
    };
    const agg = 'customer, COUNT(*) AS n, SUM(qty) AS q';
    await per(`SELECT ${agg}, window_start AS ws, window_end AS we FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY customer, window_start, window_end`,
      `SELECT ${agg} FROM orders GROUP BY customer`, (x) => x.apply(window.into(window.fixed('10s'))));
    await per(`SELECT ${agg}, TUMBLE_START(ts, INTERVAL '10' SECOND) AS ws, TUMBLE_END(ts, INTERVAL '10' SECOND) AS we FROM orders GROUP BY customer, TUMBLE(ts, INTERVAL '10' SECOND)`,
      `SELECT ${agg} FROM orders GROUP BY customer`, (x) => x.apply(window.into(window.fixed('10s'))));
    await per(`SELECT ${agg}, window_start AS ws, window_end AS we FROM TABLE(HOP(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) GROUP BY customer, window_start, window_end`,
      `SELECT ${agg} FROM orders GROUP BY customer`, (x) => x.apply(window.into(window.sliding('10s', '5s'))));
    await per(`SELECT ${agg}, HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) AS ws, HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) AS we FROM orders GROUP BY customer, HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)`,
      `SELECT ${agg} FROM orders GROUP BY customer`, (x) => x.apply(window.into(window.sliding('10s', '5s'))));
    // Sessions are per group key (Beam SQL's meaning, and Flink's with PARTITION BY the grouped column): DuckDB runs
    // per session window of each customer's rows alone.
    for (const q of [
      `SELECT ${agg}, SESSION_START(ts, INTERVAL '9' SECOND) AS ws, SESSION_END(ts, INTERVAL '9' SECOND) AS we FROM orders GROUP BY customer, SESSION(ts, INTERVAL '9' SECOND)`,
      `SELECT ${agg}, window_start AS ws, window_end AS we FROM TABLE(SESSION(TABLE orders PARTITION BY customer, DESCRIPTOR(ts), INTERVAL '9' SECOND)) GROUP BY customer, window_start, window_end`,
    ]) {
      const p = Pipeline.create();
      const o = p.apply(createTimestamped(orders.map((r) => ({ value: r, timestamp: r.ts }))));
      const compiled = (await collect(p, sql.transform(q, { inputs: { orders: { collection: o, schema: SCHEMA } }, engine: 'transforms' })))
        .map((x) => { const { ws, we, ...rest } = x.row as { ws: Date; we: Date }; assert.equal(`[${ws.getTime()},${we.getTime()})`, x.window); return `${x.window} ${text(rest)}`; });
      const duck: string[] = [];
      for (const customer of new Set(orders.map((r) => r.customer))) {
        const p2 = Pipeline.create();
        const o2 = p2.apply(createTimestamped(orders.filter((r) => r.customer === customer).map((r) => ({ value: r, timestamp: r.ts })))).apply(window.into(window.sessions('9s')));
        for (const x of await collect(p2, sql.transform(`SELECT ${agg} FROM orders GROUP BY customer`, { inputs: { orders: { collection: o2, schema: SCHEMA } }, engine: 'duckdb' }))) duck.push(`${x.window} ${text(x.row)}`);
      }
      assert.ok(compiled.some((c) => c.includes('"n":2')), 'a session merges two rows');
      assert.deepEqual(compiled.sort(), duck.sort(), q);
    }
  });
});

describe('streaming SQL over unbounded input', () => {
  const stream = (p: Pipeline) => p.apply(testStream<{ k: string; v: number; ts: number }>()
    .addElements({ value: { k: 'a', v: 1, ts: 1_000 }, timestamp: 1_000 }, { value: { k: 'a', v: 2, ts: 2_000 }, timestamp: 2_000 })
    .advanceProcessingTime(5_000)
    .addElements({ value: { k: 'a', v: 4, ts: 3_000 }, timestamp: 3_000 }, { value: { k: 'b', v: 8, ts: 12_000 }, timestamp: 12_000 })
    .advanceWatermarkToInfinity());

  it('EMIT AFTER WATERMARK gives one on-time pane per window; WITH DELAY and EVERY n ROWS add early panes (accumulating)', async () => {
    const q = (emit: string) => `SELECT k, COUNT(*) AS n, SUM(v) AS s FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end ${emit}`;
    const run = async (emit: string) => {
      const p = Pipeline.create();
      return (await collect(p, sql.transform(q(emit), { inputs: { s: stream(p) } }))).map((o) => `${o.pane} ${o.window} ${String(o.row.k)} ${String(o.row.n)} ${String(o.row.s)}`).sort();
    };
    assert.deepEqual(await run('EMIT AFTER WATERMARK'), ['ON_TIME [0,10000) a 3 7', 'ON_TIME [10000,20000) b 1 8']);
    assert.deepEqual(await run(''), await run('EMIT AFTER WATERMARK'));
    assert.deepEqual(await run("EMIT AFTER WATERMARK WITH DELAY INTERVAL '1' SECOND"), ['EARLY [0,10000) a 2 3', 'ON_TIME [0,10000) a 3 7', 'ON_TIME [10000,20000) b 1 8']);
    assert.deepEqual(await run("EMIT WITH DELAY '1' SECOND"), await run("EMIT AFTER WATERMARK WITH DELAY INTERVAL '1' SECOND"));
    assert.deepEqual(await run('EMIT AFTER WATERMARK EVERY 2 ROWS'), ['EARLY [0,10000) a 2 3', 'ON_TIME [0,10000) a 3 7', 'ON_TIME [10000,20000) b 1 8']);
  });

  it('ALLOWED LATENESS keeps a window open for late rows (a pane per late row, accumulating); without it they are dropped', async () => {
    const run = async (emit: string) => {
      const p = Pipeline.create();
      const s = p.apply(testStream<{ k: string; ts: number }>()
        .addElements({ value: { k: 'a', ts: 1_000 }, timestamp: 1_000 })
        .advanceWatermarkTo(15_000)
        .addElements({ value: { k: 'a', ts: 2_000 }, timestamp: 2_000 })
        .advanceWatermarkToInfinity());
      const q = `SELECT k, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end ${emit}`;
      return (await collect(p, sql.transform(q, { inputs: { s } }))).map((o) => `${o.pane} ${o.window} ${String(o.row.n)}`);
    };
    assert.deepEqual(await run("EMIT AFTER WATERMARK ALLOWED LATENESS INTERVAL '1' MINUTE"), ['ON_TIME [0,10000) 1', 'LATE [0,10000) 2']);
    assert.deepEqual(await run('EMIT AFTER WATERMARK'), ['ON_TIME [0,10000) 1']);
  });

  it('projections and filters stream through; a table join reads the table as a side input', async () => {
    const p = Pipeline.create();
    const names = p.apply('Names', createTimestamped([{ value: { k: 'a', name: 'Alpha' }, timestamp: 0 }]));
    const out = await collect(p, sql.transform('SELECT s.k, n.name, s.v * 10 AS v10 FROM s LEFT JOIN names n ON s.k = n.k WHERE s.v > 1', { inputs: { s: stream(p), names } }));
    assert.deepEqual(rowsText(out), ['{"k":"a","name":"Alpha","v10":20}', '{"k":"a","name":"Alpha","v10":40}', '{"k":"b","name":null,"v10":80}']);
  });

  it('a value the query cannot use (a failed CAST) fails the step naming the expression, its position and the row', async () => {
    const p = Pipeline.create();
    const s = p.apply(testStream<{ k: string }>().addElements({ value: { k: '12' }, timestamp: 0 }, { value: { k: 'x1' }, timestamp: 0 }).advanceWatermarkToInfinity());
    sql.transform('SELECT k,\n  CAST(k AS BIGINT) + 1 AS n FROM s', { inputs: { s } });
    await assert.rejects(p.run(), (e: Error) => /could not convert string 'x1' to BIGINT \(at line 2, column 3\)/.test(e.message) && /x1/.test(e.message));
  });

  it('refuses what it does not support at construction, naming the construct and its position', () => {
    const p = Pipeline.create();
    const s = stream(p);
    const t = p.apply('T', testStream<{ k: string; ts: number }>().addElements({ value: { k: 'a', ts: 1 }, timestamp: 1 }).advanceWatermarkToInfinity());
    const cases: [string, RegExp, number][] = [
      ['SELECT k FROM s ORDER BY k', /ORDER BY is not supported by streaming SQL/, 17],
      ['SELECT k, COUNT(*) FROM s GROUP BY k', /GROUP BY over an unbounded input without a window/, 1],
      ['SELECT s.k FROM s JOIN t ON s.k < t.k', /a join of two streams without an equality of keys in ON is not supported/, 19],
      ['SELECT s.k FROM s LEFT JOIN t ON s.k = t.k', /LEFT JOIN of two streams is not supported/, 19],
      ["SELECT B.k FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) B JOIN (SELECT MAX(v) AS m, window_start FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end) M ON B.v = M.m", /a join of two streams is not supported/, 79],
      ['SELECT k, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts ROWS 1 PRECEDING) FROM s', /ROW_NUMBER\(\) OVER \(…\) is not supported/, 11],
      ['SELECT k, COUNT(*) OVER (PARTITION BY k) FROM s', /an OVER window without a ROWS frame/, 40],
      ['SELECT k FROM s UNION SELECT k FROM t', /UNION is not supported/, 17],
      ['WITH x AS (SELECT 1) SELECT * FROM x', /WITH \(common table expressions\)/, 1],
      ['SELECT k FROM s WHERE k IN (SELECT k FROM t)', /a subquery in IN/, 29],
      ["SELECT k, COUNT(*) FROM TABLE(SESSION(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end", /SESSION without PARTITION BY/, 31],
      ["SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY k", /without window_start\/window_end/, 1],
      ['SELECT k FROM s EMIT AFTER WATERMARK', /EMIT without a window/, 17],
      ['SELECT k FROM s WHERE', /expected an expression, found the end of the query/, 22],
      ['SELECT nope(k) FROM s', /unknown function nope\(\)/, 8],
      ['SELECT k FROM nowhere', /unknown table 'nowhere'/, 15],
      ['SELECT k FROM s WHERE COUNT(*) > 1', /COUNT\(\) is not allowed in WHERE|an aggregate in WHERE/, 23],
      ["SELECT k FROM s WHERE k = 'x", /unterminated string literal/, 27],
    ];
    for (const [query, message, column] of cases) {
      assert.throws(() => sql.transform(query, { inputs: { s, t } }), (e: unknown) => {
        assert.ok(e instanceof SqlError, `${query}: ${String(e)}`);
        assert.match(e.message, message, query);
        assert.equal(e.column, column, `${query}: ${e.message}`);
        return true;
      });
    }
  });
});

// sql.transform in pipelines: bounded collections loaded into DuckDB (declared and inferred schemas), joins of two
// inputs and of an input with a Delta table, output value types, per-window queries, and refusals (unbounded input,
// a field the schema lacks, disagreeing values) that name what is wrong.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Pipeline, PipelineValidationError, createTimestamped, create, testStream, window, writeTo, type PCollection } from '../index.ts';
import { DeltaTable } from '../lakehouse/index.ts';
import { sql } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-sql-transform-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the pipeline and returns what `out` held (in arrival order). */
async function collect<T>(p: Pipeline, out: PCollection<T>): Promise<T[]> {
  const seen: T[] = [];
  out.apply(writeTo({ describe: () => 'memory', async open() { return { write: (v: T) => void seen.push(v), flush: () => undefined, finish: async () => {}, abort: async () => {} }; } }));
  await p.run();
  return seen;
}

const orders = [
  { id: 1, country: 'fr', amount: 10.5, day: '2024-05-01', ts: new Date('2024-05-01T10:00:00Z') },
  { id: 2, country: 'de', amount: 20, day: '2024-05-01', ts: new Date('2024-05-01T11:00:00Z') },
  { id: 3, country: 'fr', amount: null, day: '2024-05-02', ts: new Date('2024-05-02T09:30:00Z') },
];

describe('sql.transform', () => {
  it('runs a query over a bounded collection with a declared schema; values come back typed', async () => {
    const p = Pipeline.create();
    const input = p.apply(create(orders));
    const out = sql.transform('SELECT country, count(*) AS n, sum(amount) AS total, min(day) AS first_day, max(ts) AS last, 1.25::DECIMAL(5,2) AS d FROM orders GROUP BY country ORDER BY country', {
      inputs: { orders: { collection: input, schema: { id: 'long', country: 'string', amount: 'double', day: 'date', ts: 'timestamp' } } },
    });
    assert.deepEqual(await collect(p, out), [
      { country: 'de', n: 1, total: 20, first_day: '2024-05-01', last: new Date('2024-05-01T11:00:00Z'), d: '1.25' },
      { country: 'fr', n: 2, total: 10.5, first_day: '2024-05-01', last: new Date('2024-05-02T09:30:00Z'), d: '1.25' },
    ]);
  });

  it('joins two inputs (schemas inferred) and a Delta table', async () => {
    const table = await DeltaTable.create(join(dir, 'countries'), { schema: { code: 'string', name: 'string' } });
    await table.append([{ code: 'fr', name: 'France' }, { code: 'de', name: 'Germany' }]);
    const p = Pipeline.create();
    const o = p.apply(create(orders.map(({ id, country, amount }) => ({ id, country, amount }))));
    const rates = p.apply('Rates', create([{ country: 'fr', rate: 2n }, { country: 'de', rate: 3n }]));
    const out = sql.transform(`SELECT o.id, c.name, o.amount * r.rate AS scaled FROM orders o JOIN rates r USING (country) JOIN delta('${join(dir, 'countries')}') c ON c.code = o.country ORDER BY o.id`, {
      inputs: { orders: o, rates },
    });
    assert.deepEqual(await collect(p, out), [{ id: 1, name: 'France', scaled: 21 }, { id: 2, name: 'Germany', scaled: 60 }, { id: 3, name: 'France', scaled: null }]);
  });

  it('queries each window of a windowed input on its own', async () => {
    const p = Pipeline.create();
    const events = p.apply(createTimestamped([{ value: { k: 'a' }, timestamp: 1_000 }, { value: { k: 'b' }, timestamp: 2_000 }, { value: { k: 'a' }, timestamp: 61_000 }]))
      .apply(window.into(window.fixed('1m')));
    const out = sql.transform('SELECT k, count(*) AS n FROM events GROUP BY k ORDER BY k', { inputs: { events } });
    const rows = await collect(p, out);
    assert.deepEqual(rows.map((r) => `${String(r.k)}=${String(r.n)}`).sort(), ['a=1', 'a=1', 'b=1']);
  });

  it("refuses an unbounded input on the DuckDB engine, naming it; 'auto' compiles it to transforms instead", () => {
    const p = Pipeline.create();
    const stream = p.apply(testStream<{ x: number }>().addElements({ value: { x: 1 }, timestamp: 0 }).advanceWatermarkToInfinity());
    assert.ok(!stream.bounded);
    assert.throws(() => sql.transform('SELECT * FROM s', { inputs: { s: stream }, engine: 'duckdb' }), (e: PipelineValidationError) =>
      e instanceof PipelineValidationError && /input 's' .*is unbounded/.test(e.message) && /engine 'transforms'/.test(e.hint ?? ''));
    assert.ok(!sql.transform('SELECT x + 1 AS y FROM s', { inputs: { s: stream } }).bounded);
  });

  it('a field the schema lacks, or values that disagree, fail the step naming input, row and field', async () => {
    const p1 = Pipeline.create();
    const a = sql.transform('SELECT * FROM t', { inputs: { t: { collection: p1.apply(create([{ id: 1 }, { id: 2, extra: 'x' }])), schema: { id: 'long' } } } });
    await assert.rejects(collect(p1, a), /input 't', row 2 has the field 'extra', which its schema lacks/);
    const p2 = Pipeline.create();
    const b = sql.transform('SELECT * FROM t', { inputs: { t: p2.apply(create<Record<string, unknown>>([{ v: 'x' }, { v: 1 }])) } });
    await assert.rejects(collect(p2, b), /input 't', field 'v': row 1 has a VARCHAR value, row 2 a BIGINT value/);
    const p3 = Pipeline.create();
    const c = sql.transform('SELECT nope FROM t', { inputs: { t: p3.apply(create([{ id: 1 }])) } });
    await assert.rejects(collect(p3, c), /Referenced column "nope" not found/);
    const p5 = Pipeline.create();
    const events = p5.apply(createTimestamped([{ value: { k: 'a' }, timestamp: 1_000 }, { value: { k: 'b' }, timestamp: 61_000 }])).apply(window.into(window.fixed('1m')));
    const late = p5.apply('Late', createTimestamped([{ value: { k: 'b', n: 1 }, timestamp: 62_000 }])).apply('W', window.into(window.fixed('1m')));
    const d = sql.transform('SELECT * FROM events JOIN late USING (k)', { inputs: { events, late } });
    await assert.rejects(collect(p5, d), /input 'late' has no rows in this window and no declared schema/);
    const p4 = Pipeline.create();
    assert.throws(() => sql.transform('SELECT 1', { inputs: { 'bad name': p4.apply(create([{ id: 1 }])) } }), /not a plain SQL identifier/);
  });
});

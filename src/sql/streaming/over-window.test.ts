// ROWS OVER windows in keyed state (over-window.ts) and ARG_MAX/ARG_MIN, through sql.transform over TestStreams: each
// row's frame (in ORDER BY order and out of it), per partition, and the frames and window functions refused.
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

describe('ROWS OVER windows', () => {
  it("aggregate each partition's last n + 1 rows by ORDER BY; a row that comes late in that order gets the frame ending at the latest row", async () => {
    const p = Pipeline.create();
    const s = p.apply('S', testStream<{ k: string; v: number; ts: number }>()
      .addElements({ value: { k: 'a', v: 1, ts: 10 }, timestamp: 10 })
      .addElements({ value: { k: 'a', v: 2, ts: 20 }, timestamp: 20 }, { value: { k: 'b', v: 10, ts: 15 }, timestamp: 15 })
      .addElements({ value: { k: 'a', v: 4, ts: 30 }, timestamp: 30 })
      .addElements({ value: { k: 'a', v: 8, ts: 5 }, timestamp: 35 }) // sorts first: the frame stays [2, 4]
      .addElements({ value: { k: 'a', v: 16, ts: 25 }, timestamp: 36 }) // sorts between 2 and 4: the frame is [16, 4]
      .addElements({ value: { k: 'b', v: 10, ts: 15 }, timestamp: 40 }) // equal in order: after the earlier one
      .advanceWatermarkToInfinity());
    const out = sql.transform(`
      SELECT k, v, SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s2,
        COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS n
      FROM s WHERE v < 100`, { inputs: { s }, engine: 'transforms' });
    const byKey = new Map<string, string[]>();
    for (const o of await collect(p, out)) {
      const k = String(o.row.k);
      byKey.set(k, [...(byKey.get(k) ?? []), `${String(o.row.v)}:${String(o.row.s2)}/${String(o.row.n)}@${o.timestamp}`]);
    }
    assert.deepEqual(byKey.get('a'), ['1:1/1@10', '2:3/2@20', '4:6/2@30', '8:6/2@35', '16:20/2@36']);
    assert.deepEqual(byKey.get('b'), ['10:10/1@15', '10:20/2@40']);
  });

  it('ARG_MAX/ARG_MIN give the arg at the greatest/least value, the least arg among ties', async () => {
    const p = Pipeline.create();
    const s = p.apply('S', testStream<{ k: string; name: string; v: number; ts: number }>()
      .addElements(
        { value: { k: 'a', name: 'y', v: 3, ts: 1 }, timestamp: 1 }, { value: { k: 'a', name: 'x', v: 3, ts: 2 }, timestamp: 2 },
        { value: { k: 'a', name: 'z', v: 1, ts: 3 }, timestamp: 3 }, { value: { k: 'a', name: 'w', v: 1, ts: 4 }, timestamp: 4 },
      )
      .advanceWatermarkToInfinity());
    const out = sql.transform(`SELECT k, ARG_MAX(name, v) AS hi, MAX_BY(name, v) AS hi2, ARG_MIN(name, v) AS lo
      FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end`, { inputs: { s }, engine: 'transforms' });
    assert.deepEqual((await collect(p, out)).map((o) => JSON.stringify(o.row)), ['{"k":"a","hi":"x","hi2":"x","lo":"w"}']);
  });

  it('refuses the window functions and frames it does not keep in bounded state, naming them', () => {
    const p = Pipeline.create();
    const s = p.apply('S', testStream<{ k: string; v: number; ts: number }>().advanceWatermarkToInfinity());
    const w = 'OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)';
    const cases: [string, RegExp, number][] = [
      [`SELECT SUM(v) ${w}, MAX(v) OVER (PARTITION BY k ORDER BY ts ROWS 3 PRECEDING) FROM s`, /two different OVER windows in one SELECT/, 91],
      [`SELECT k, SUM(v) ${w}, COUNT(*) FROM s GROUP BY k`, /a window function \(OVER\) with GROUP BY/, 11],
      ['SELECT SUM(v) OVER (ORDER BY ts RANGE BETWEEN INTERVAL \'1\' SECOND PRECEDING AND CURRENT ROW) FROM s', /a RANGE frame is not supported/, 33],
      ['SELECT SUM(v) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM s', /UNBOUNDED PRECEDING is not supported/, 46],
      ['SELECT SUM(v) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM s', /FOLLOWING\) is not supported/, 62],
      ['SELECT SUM(v) OVER (PARTITION BY k ROWS 1 PRECEDING) FROM s', /OVER without ORDER BY is not supported/, 15],
      ['SELECT SUM(v) OVER w FROM s', /a named window \(OVER w\) is not supported/, 20],
      ['SELECT k FROM s WHERE SUM(v) OVER (ORDER BY ts ROWS 1 PRECEDING) > 1', /a window function \(OVER\) is only allowed in the SELECT list/, 23],
    ];
    for (const [query, message, column] of cases) {
      assert.throws(() => sql.transform(query, { inputs: { s }, engine: 'transforms' }), (e: unknown) => {
        assert.ok(e instanceof SqlError, `${query}: ${String(e)}`);
        assert.match(e.message, message, query);
        assert.equal(e.column, column, `${query}: ${e.message}`);
        return true;
      });
    }
  });
});

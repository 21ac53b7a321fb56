// End to end through real tables: whatever strings (surrogate pairs, U+E000–U+FFFF, long ones) the files hold,
// reads with `where`, DELETE and MERGE on a string key find exactly the rows a full scan finds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { DeltaTable } from './index.ts';
import { compareUtf8 } from './value-order.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-skipping-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const tricky = fc.constantFrom('a', 'z', 'é', '\uD7FF', '\uE000', 'Ａ', '\uFFFD', '\uFFFF', '😀', '\u{10000}', '\u{10FFFF}');
const text = fc.oneof(
  fc.array(tricky, { minLength: 1, maxLength: 4 }).map((a) => a.join('')),
  fc.tuple(tricky, fc.integer({ min: 30, max: 36 }), tricky).map(([c, k, tail]) => c.repeat(k) + tail),
);

test('property: read({ where }), delete and MERGE on strings find exactly the rows a full scan finds', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }), text,
    fc.constantFrom('eq', 'lt', 'lte', 'gt', 'gte'),
    async (files, probe, op) => {
      const table = await DeltaTable.create(join(root, `t${n++}`), { schema: { id: 'long', s: 'string' } });
      let id = 0;
      for (const strings of files) await table.append(strings.map((s) => ({ id: id++, s })));
      const all = await table.read();
      const holds = (s: string): boolean => {
        const c = compareUtf8(s, probe);
        return op === 'eq' ? c === 0 : op === 'lt' ? c < 0 : op === 'lte' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0;
      };
      const expected = all.filter((r) => holds(r.s as string)).map((r) => r.id).sort();
      const got = (await table.read({ where: { s: { [op]: probe } } })).map((r) => r.id).sort();
      assert.deepEqual(got, expected, `where s ${op} ${JSON.stringify(probe)}`);

      const key = files.flat()[0];
      await table.merge([{ id: 1000, s: key }], { on: ['s'] }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
      const keyed = (await table.read({ where: { s: key } })).map((r) => r.id);
      assert.deepEqual(keyed, keyed.map(() => 1000n), 'MERGE updated every row of the key and inserted none');
      assert.equal((await table.read()).length, all.length);
      const { metrics } = await table.delete({ s: key });
      assert.equal(metrics.numDeletedRows, keyed.length);
    },
  ), { numRuns: 12 });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable } from '../../src/lakehouse/index.ts';
import { DeltaSource } from '../../src/io/delta/index.ts';
import type { SourceBatch } from '../../src/model/index.ts';

/** io.delta.read positions (issue 14): (pinned version, data file, rows read); a resume reads the same snapshot. */

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffle-positions-delta-'));
}

async function table(dir: string): Promise<string> {
  const path = join(dir, 't');
  const t = await DeltaTable.create(path, { schema: { id: 'long', part: 'string', s: 'string' }, partitionBy: ['part'] });
  let id = 0n;
  for (const [n, part] of [[3000, 'a'], [20000, 'b'], [10, 'a'], [9000, 'c']] as const) {
    await t.append(Array.from({ length: n }, () => ({ id: id++, part, s: `row ${id}` })));
  }
  return path;
}

test('io.delta.read resumes at (version, data file, rows) with exactly the rows after the position', async () => {
  const dir = tmp();
  try {
    const path = await table(dir);
    const batches: SourceBatch<unknown>[] = [];
    for await (const b of new DeltaSource(path).read()) batches.push(b);
    const all = batches.flatMap((b) => b.values);
    assert.equal(all.length, 32010);
    assert.ok(batches.length >= 5, `${batches.length} batches`);
    // The table moves on: a resumed read stays on the version it was pinned to.
    await (await DeltaTable.open(path)).append([{ id: 999999n, part: 'z', s: 'later' }]);
    for (let k = 0; k < batches.length; k++) {
      const position = JSON.parse(JSON.stringify(batches[k]!.position)) as { version: number; rows: number };
      assert.equal(position.version, 4);
      const rest: unknown[] = [];
      for await (const b of new DeltaSource(path).readFrom(position)) rest.push(...b.values);
      const before = batches.slice(0, k + 1).flatMap((b) => b.values);
      assert.deepEqual([...before, ...rest], all, `after batch ${k}`);
    }
    // Splits (one per data file) carry positions of their own file.
    const parts = await new DeltaSource(path).split(1);
    assert.ok(parts.length >= 4);
    for (const part of parts) {
      const got: SourceBatch<unknown>[] = [];
      for await (const b of part.read()) got.push(b);
      if (got.length === 0) continue;
      const rest: unknown[] = [];
      for await (const b of part.readFrom!(got[0]!.position)) rest.push(...b.values);
      assert.deepEqual(rest, got.slice(1).flatMap((b) => b.values));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('io.delta.read refuses a position whose data file is not in that version', async () => {
  const dir = tmp();
  try {
    const path = await table(dir);
    await assert.rejects(
      async () => {
        for await (const _ of new DeltaSource(path).readFrom({ version: 4, file: 1, path: 'part=b/gone.parquet', rows: 0 }));
      },
      (e: Error & { code?: string }) => e.code === 'CHECKPOINT_MISMATCH' && /gone\.parquet/.test(e.message),
    );
    await assert.rejects(
      async () => {
        for await (const _ of new DeltaSource(path).readFrom({ version: 40, file: 0, path: 'x', rows: 0 }));
      },
      (e: Error & { code?: string }) => e.code === 'CHECKPOINT_MISMATCH' && /version 40/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

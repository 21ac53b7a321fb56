// io.delta.read's backlog (SourceBacklog, for the step metrics): unknown before the read starts, the bytes of the
// data files not finished while it reads (the one in progress whole), 0 at the end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { create, io, Pipeline } from '../../index.ts';
import { DeltaSource } from './delta-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-delta-backlog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('io.delta.read backlog', () => {
  it('counts the bytes of the data files not read yet', async () => {
    const table = join(dir, 't');
    for (let k = 0; k < 3; k++) {
      const p = Pipeline.create();
      p.apply(create(Array.from({ length: 5 }, (_x, i) => ({ id: k * 10 + i })))).apply(io.delta.write(table, { schema: { id: 'integer' } }));
      assert.equal((await p.run()).state, 'DONE');
    }
    const source = new DeltaSource(table);
    assert.equal(source.backlog(), undefined, 'unknown before the read starts');
    const sizes = (await source.plan()).files.map((f) => f.size);
    assert.equal(sizes.length, 3);
    const seen: number[] = [];
    for await (const _batch of source.read()) seen.push(source.backlog()!.amount);
    assert.deepEqual(seen, [sizes[0]! + sizes[1]! + sizes[2]!, sizes[1]! + sizes[2]!, sizes[2]!]);
    assert.deepEqual(source.backlog(), { amount: 0, unit: 'bytes' });
  });
});

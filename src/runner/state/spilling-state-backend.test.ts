import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coders, type Instant } from '../../model/index.ts';
import { stateTags } from '../../semantics/index.ts';
import { MemoryBudget } from './memory-budget.ts';
import { SpillDirectory } from './spill-directory.ts';
import { SpillingStateBackend } from './spilling-state-backend.ts';
import { codedStateTags, structuredStateCoder } from './state-tags.ts';

const bag = codedStateTags.bag('b', coders.string());
const hold = codedStateTags.watermarkHold('h');

describe('SpillingStateBackend', () => {
  it('past its budget, flush moves cold keys to sorted runs; reads find them; close removes the files', async () => {
    const dir = SpillDirectory.create();
    const budget = MemoryBudget.of('64k');
    const b = new SpillingStateBackend({ budget, spillDir: dir, maxRuns: 3 });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 500; i++) b.forKey(i % 16, `key${i}`).state('global', bag).add(`r${round}-${'x'.repeat(40)}`);
      await b.flush();
      assert.ok(b.bytesInMemory <= budget.limit, `round ${round}: ${b.bytesInMemory} in memory`);
    }
    const m = b.metrics();
    assert.ok(m.runsWritten > 3 && m.bytesSpilled > 64 * 1024, JSON.stringify(m));
    assert.ok(b.runCount <= 4, `runs are merged: ${b.runCount}`);
    assert.equal(budget.metrics().bytesSpilled, m.bytesSpilled);
    for (let i = 0; i < 500; i++) {
      assert.deepEqual(
        b.forKey(i % 16, `key${i}`).state('global', bag).read(),
        Array.from({ length: 10 }, (_, r) => `r${r}-${'x'.repeat(40)}`),
      );
    }
    assert.equal([...b.keys(3)].length, Math.floor((500 - 1 - 3) / 16) + 1);
    assert.ok(readdirSync(dir.path).length > 0);
    b.close();
    assert.equal(readdirSync(dir.path).length, 0);
    dir.close();
    assert.equal(existsSync(dir.path), false);
  });

  it('hold cells keep their identity across a spill, so an engine keyed by them stays consistent', async () => {
    const live = new Map<object, Instant>();
    const b = new SpillingStateBackend({
      budget: MemoryBudget.of(512),
      onHoldChanged: (_ref, _ns, _id, _prev, next, cell) => (next === undefined ? live.delete(cell) : live.set(cell, next)),
    });
    for (let i = 0; i < 50; i++) {
      const s = b.forKey(0, `k${i}`);
      s.state('w', hold).add(100 + i);
      s.state('w', bag).add('x'.repeat(100));
    }
    assert.equal(live.size, 50);
    await b.flush();
    assert.ok(b.metrics().runsWritten > 0);
    for (let i = 0; i < 50; i++) {
      const s = b.forKey(0, `k${i}`);
      assert.equal(s.state('w', hold).read(), 100 + i);
      s.clearNamespace('w');
    }
    assert.equal(live.size, 0, 'every hold released through the cell the engine knows');
    b.close();
  });

  it('keys whose state has no coder stay in memory (pinned) instead of failing the flush', async () => {
    const b = new SpillingStateBackend({ budget: MemoryBudget.of(256) });
    const plain = stateTags.bag<{ x: number }>('plain');
    for (let i = 0; i < 20; i++) b.forKey(0, `k${i}`).state('w', plain).add({ x: i });
    await b.flush();
    assert.equal(b.metrics().pinnedKeys, 20);
    assert.deepEqual(b.forKey(0, 'k3').state('w', plain).read(), [{ x: 3 }]);
    b.close();
    const c = new SpillingStateBackend({ budget: MemoryBudget.of(256), defaultCoder: structuredStateCoder() });
    for (let i = 0; i < 20; i++) c.forKey(0, `k${i}`).state('w', plain).add({ x: i });
    await c.flush();
    assert.equal(c.metrics().pinnedKeys, 0);
    assert.ok(c.metrics().runsWritten > 0);
    assert.deepEqual(c.forKey(0, 'k3').state('w', plain).read(), [{ x: 3 }]);
    c.close();
  });

  it('never writes through a link planted in its spill directory', async () => {
    const dir = SpillDirectory.create();
    const target = join(dir.path, '..', `riffle-victim-${process.pid}`);
    writeFileSync(target, 'keep me');
    symlinkSync(target, join(dir.path, 'state-000000.run'));
    const b = new SpillingStateBackend({ budget: MemoryBudget.of(256), spillDir: dir });
    for (let i = 0; i < 20; i++) b.forKey(0, `k${i}`).state('w', bag).add('x'.repeat(50));
    await assert.rejects(b.flush(), (e: unknown) => (e as NodeJS.ErrnoException).code === 'EEXIST' || (e as { code?: string }).code === 'STORE_PATH_UNSAFE');
    const { readFileSync, rmSync } = await import('node:fs');
    assert.equal(readFileSync(target, 'utf8'), 'keep me');
    rmSync(target);
    b.close();
    dir.close();
  });
});

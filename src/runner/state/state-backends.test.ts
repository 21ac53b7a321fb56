import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stateTags } from '../../semantics/index.ts';
import { InMemoryStateBackend } from './state-backend.ts';
import { SpillingStateBackend } from './spilling-state-backend.ts';
import { runKeyedStateBackendSuite } from './keyed-state-backend-suite.ts';
import { structuredStateCoder } from './state-tags.ts';

runKeyedStateBackendSuite('in-memory', (o) => new InMemoryStateBackend(o));
runKeyedStateBackendSuite('spilling', (o) => new SpillingStateBackend(o));
runKeyedStateBackendSuite('spilling, merging every run', (o) => new SpillingStateBackend({ ...o, maxRuns: 1 }));

describe('InMemoryStateBackend without a budget', () => {
  const tag = stateTags.value<number>('v');

  it('drops a released key that holds nothing, and keeps one that holds data', () => {
    const b = new InMemoryStateBackend({ defaultCoder: structuredStateCoder() });
    const live = b.forKey(0, 'live');
    live.state('w1', tag).write(1);
    const gone = b.forKey(0, 'gone');
    gone.state('w1', tag).write(2);
    gone.clearNamespace('w1');
    b.releaseKey(gone);
    b.releaseKey(live);
    assert.equal(b.metrics().keysInMemory, 1);
    assert.deepEqual([...b.keys(0)], ['live']);
    assert.equal(live.state('w1', tag).read(), 1);
    // A released key comes back empty, through its old view too.
    assert.equal(gone.state('w1', tag).read(), undefined);
    gone.state('w1', tag).write(3);
    assert.equal(b.forKey(0, 'gone').state('w1', tag).read(), 3);
    b.close();
  });

  it('asks for a flush once many keys were touched, which drops the keys left empty', async () => {
    const b = new InMemoryStateBackend({ defaultCoder: structuredStateCoder() });
    b.forKey(0, 'live').state('w1', tag).write(1);
    let n = 0;
    while (!b.needsFlush) {
      const s = b.forKey(1, `k${n++}`);
      s.state('w', tag).write(n);
      s.clearNamespace('w');
    }
    assert.ok(n > 1 && n <= 10_000, `flush wanted after ${n} keys`);
    await b.flush();
    assert.equal(b.needsFlush, false);
    assert.equal(b.metrics().keysInMemory, 1);
    assert.deepEqual([...b.keys(0)], ['live']);
    b.close();
  });
});

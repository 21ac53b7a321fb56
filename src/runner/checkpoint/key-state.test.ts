import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stateTags } from '../../semantics/index.ts';
import { checkpointedKeyState } from './key-state.ts';

describe('checkpointedKeyState', () => {
  it('forgets a key the keyed store released empty (memory follows the live keys), and snapshots the others', () => {
    const factory = checkpointedKeyState();
    const step = factory.forStep!('Count');
    const tag = stateTags.value<number>('n');
    const kept = step.create(3, 7, 7, () => {});
    kept.state('w', tag).write(1);
    for (let k = 100; k < 200; k++) {
      const s = step.create(3, k, k, () => {});
      s.state('w', tag).write(k);
      s.clearNamespace('w');
      step.release!(s);
    }
    step.release!(kept); // holds data: stays
    const backend = factory.backends.get('Count')!;
    assert.equal(backend.metrics().keysInMemory, 1);
    const restored = checkpointedKeyState().forStep!('Count');
    restored.restoreGroup!(3, step.snapshotGroup!(3));
    assert.equal(restored.create(3, 7, 7, () => {}).state('w', tag).read(), 1);
    factory.close();
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { coders, type Instant } from '../../model/index.ts';
import { stateTags, type StateCombineFn, type StateInternals } from '../../semantics/index.ts';
import { InMemoryKeyState } from './in-memory-key-state.ts';
import { InMemoryStateBackend } from './state-backend.ts';
import { SpillingStateBackend } from './spilling-state-backend.ts';
import { MemoryBudget } from './memory-budget.ts';
import { codedStateTags, structuredStateCoder } from './state-tags.ts';
import { canonicalKeyString } from './key-state-factory.ts';
import { parseSnapshot } from './state-backend.ts';
import { readKeyPayload } from './key-state.ts';
import type { KeyedStateRef, KeyStateFactory } from '../local/index.ts';

/** What the engine's keyed store does around a factory: creates keys' state, lists them by key group, drops released ones. */
class Keys {
  private readonly groups = new Map<number, KeyedStateRef[]>();
  constructor(readonly factory: KeyStateFactory) {}
  create(keyGroup: number, key: string | number, onHold: (cell: object, next: Instant | undefined) => void = () => {}): StateInternals {
    const state = this.factory.create(keyGroup, key, key, onHold);
    let list = this.groups.get(keyGroup);
    if (list === undefined) this.groups.set(keyGroup, (list = []));
    list.push({ encoded: key, state });
    return state;
  }
  release(state: StateInternals): void {
    if (!state.isEmpty()) return;
    for (const [g, list] of this.groups) this.groups.set(g, list.filter((r) => r.state !== state));
    this.factory.release?.(state);
  }
  snapshot(keyGroup: number): Uint8Array {
    return this.factory.snapshotGroup!(keyGroup, this.groups.get(keyGroup) ?? []);
  }
  restore(keyGroup: number, bytes: Uint8Array): void {
    this.factory.restoreGroup!(keyGroup, bytes, this.groups.get(keyGroup) ?? []);
  }
}
const inMemory = (o: { defaultCoder?: ReturnType<typeof structuredStateCoder> } = {}) => new Keys(new InMemoryKeyState(o));

/** A snapshot's contents with namespaces and cells in a fixed order (their order in the bytes carries no meaning). */
function contents(keyGroup: number, bytes: Uint8Array): unknown {
  return parseSnapshot(keyGroup, bytes).map(({ key, payload }) => [
    key,
    readKeyPayload(payload)
      .map(({ namespace, cells }) => [namespace, cells.map((c) => [c.id, c.kind, [...c.bytes]]).sort()] as const)
      .sort((x, y) => (x[0] < y[0] ? -1 : 1)),
  ]);
}

const sum: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};
const tags = {
  value: stateTags.value<{ name: string; n: number }>('value'),
  bag: codedStateTags.bag('bag', coders.varInt()),
  combining: stateTags.combining('sum', sum),
  map: stateTags.map<string, number>('map'),
  set: stateTags.set<string>('set'),
  list: stateTags.orderedList<string>('list'),
  early: stateTags.watermarkHold('early'),
  late: stateTags.watermarkHold('late', 'latest'),
};

/** Writes one of every kind of state for key `k` (two namespaces), different per key. */
function fill(s: StateInternals, k: number): void {
  s.state('w1', tags.value).write({ name: `k${k}`, n: k });
  for (const x of [k, k + 1, k + 2]) s.state('w1', tags.bag).add(x);
  s.state('w1', tags.combining).add(k);
  s.state('w1', tags.combining).add(10);
  s.state('w2', tags.map).set('a', k);
  s.state('w2', tags.set).add(`s${k}`);
  s.state('w2', tags.list).add(30, 'c');
  s.state('w2', tags.list).add(10, 'a');
  s.state('w2', tags.early).add(1000 + k);
  s.state('w2', tags.late).add(2000 + k);
}

function read(s: StateInternals): unknown {
  return {
    value: s.state('w1', tags.value).read(),
    bag: [...s.state('w1', tags.bag).read()],
    sum: s.state('w1', tags.combining).read(),
    map: [...s.state('w2', tags.map).entries()],
    set: [...s.state('w2', tags.set).values()],
    list: s.state('w2', tags.list).read(),
    early: s.state('w2', tags.early).read(),
    late: s.state('w2', tags.late).read(),
  };
}

type Holds = Map<string, Instant | undefined>;
const holdsOf = (holds: Holds, key: number) => (_cell: object, next: Instant | undefined) => void holds.set(`${key}:${holds.size}`, next);

describe('InMemoryKeyState', () => {
  it('snapshots a key group and restores it: every kind of state, holds reported at once, other cells decoded when asked for', () => {
    const a = inMemory({ defaultCoder: structuredStateCoder() });
    for (let k = 0; k < 20; k++) fill(a.create(k % 3, `key${k}`), k);
    const bytes = a.snapshot(1);

    const b = inMemory({ defaultCoder: structuredStateCoder() });
    const holds: Holds = new Map();
    const restored = new Map<number, StateInternals>();
    for (let k = 1; k < 20; k += 3) restored.set(k, b.create(1, `key${k}`, holdsOf(holds, k)));
    b.restore(1, bytes);
    assert.deepEqual([...holds.values()].sort(), [1001, 1004, 1007, 1010, 1013, 1016, 1019, 2001, 2004, 2007, 2010, 2013, 2016, 2019]);
    for (const [k, s] of restored) {
      assert.equal(s.isEmpty(), false);
      const fresh = inMemory();
      const expected = fresh.create(0, 'x');
      fill(expected, k);
      assert.deepEqual(read(s), read(expected));
    }
    // A snapshot of what was restored is the snapshot restored.
    assert.deepEqual(contents(1, b.snapshot(1)), contents(1, bytes));
  });

  it('writes the state backends\' format: its snapshots restore into a backend and theirs into it', () => {
    const a = inMemory({ defaultCoder: structuredStateCoder() });
    for (let k = 0; k < 10; k++) fill(a.create(5, `key${k}`), k);
    const bytes = a.snapshot(5);
    for (const backend of [new InMemoryStateBackend({ defaultCoder: structuredStateCoder() }), new SpillingStateBackend({ defaultCoder: structuredStateCoder(), budget: MemoryBudget.forJob(1 << 20) })]) {
      backend.restore(5, bytes);
      assert.deepEqual([...backend.keys(5)], [...Array(10).keys()].map((k) => canonicalKeyString(`key${k}`)).sort());
      const s = backend.forKey(5, canonicalKeyString('key3'));
      const expected = inMemory().create(0, 'x');
      fill(expected, 3);
      assert.deepEqual(read(s), read(expected));
      // …and back: a backend's snapshot restores here, equal to the original.
      const back = inMemory({ defaultCoder: structuredStateCoder() });
      for (let k = 0; k < 10; k++) back.create(5, `key${k}`);
      back.restore(5, backend.snapshot(5));
      assert.deepEqual(contents(5, back.snapshot(5)), contents(5, bytes));
      backend.close();
    }
  });

  it('a restored cell cleared before it was read is gone; a released key is forgotten; empty keys are not written', () => {
    const a = inMemory({ defaultCoder: structuredStateCoder() });
    fill(a.create(0, 1), 1);
    const empty = a.create(0, 2);
    empty.state('w', tags.value).write({ name: 'x', n: 0 });
    empty.clearNamespace('w');
    const bytes = a.snapshot(0);
    const b = inMemory({ defaultCoder: structuredStateCoder() });
    const s = b.create(0, 1);
    b.create(0, 2);
    b.restore(0, bytes);
    s.clearNamespace('w1');
    assert.equal(s.state('w1', tags.value).read(), undefined);
    assert.deepEqual(s.state('w2', tags.set).values(), ['s1']);
    b.release(s); // holds data: kept
    assert.deepEqual(parseSnapshot(0, b.snapshot(0)).map((r) => r.key), [canonicalKeyString(1)]);
    s.clearNamespace('w2');
    b.release(s);
    assert.deepEqual(parseSnapshot(0, b.snapshot(0)), [], 'no key left: an empty group snapshot');
  });

  it('state without a coder cannot be snapshotted (named); a damaged snapshot or one for unknown keys changes nothing', () => {
    const a = inMemory();
    a.create(0, 1).state('w', tags.value).write({ name: 'x', n: 1 });
    assert.throws(() => a.snapshot(0), /'value' \(value\) has no value coder/);
    const good = inMemory({ defaultCoder: structuredStateCoder() });
    fill(good.create(0, 1), 1);
    const bytes = good.snapshot(0);
    const b = inMemory({ defaultCoder: structuredStateCoder() });
    const s = b.create(0, 1);
    assert.throws(() => b.restore(0, bytes.subarray(0, bytes.length - 3)), (e: Error & { code?: string }) => e.code === 'STATE_SNAPSHOT_INVALID' || e.code === 'STATE_DATA_CORRUPT');
    assert.equal(s.isEmpty(), true);
    const other = inMemory({ defaultCoder: structuredStateCoder() });
    other.create(0, 9);
    assert.throws(() => other.restore(0, bytes), /holds state for a key/);
  });

  it('a restored cell asked for as another kind of state is refused, naming the tag', () => {
    const a = inMemory({ defaultCoder: structuredStateCoder() });
    a.create(0, 1).state('w', stateTags.value<number>('t')).write(1);
    const b = inMemory({ defaultCoder: structuredStateCoder() });
    const s = b.create(0, 1);
    b.restore(0, a.snapshot(0));
    assert.throws(() => s.state('w', stateTags.bag<number>('t')), /state 't' in namespace 'w' is value state but was accessed as bag/);
    assert.equal(s.state('w', stateTags.value<number>('t')).read(), 1, 'still there for the right tag');
  });
});

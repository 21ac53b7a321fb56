import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Instant } from '../model/index.ts';
import { stateTags, type StateCombineFn, type StateInternals } from './state.ts';

/** What a backend factory receives: the hold listener the suite observes (a backend must report every change). */
export interface StateBackendFactoryOptions {
  onHoldChanged?: (namespace: string, tagId: string, previous: Instant | undefined, next: Instant | undefined) => void;
}

const sum: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};

/**
 * The conformance suite every state backend runs (as Hono's router suite does): one key's state, every kind of cell,
 * namespaces, clearing and `isEmpty()`.
 *
 * @example
 *   runStateBackendSuite('in-memory', (opts) => new InMemoryStateInternals(opts));
 */
export function runStateBackendSuite(name: string, factory: (opts: StateBackendFactoryOptions) => StateInternals): void {
  const fresh = () => factory({});
  describe(`state backend: ${name}`, () => {
    it('starts empty', () => {
      assert.equal(fresh().isEmpty(), true);
    });

    it('value: write, read, clear', () => {
      const s = fresh();
      const v = s.state('w1', stateTags.value<string>('v'));
      assert.equal(v.read(), undefined);
      v.write('a');
      assert.equal(s.state('w1', stateTags.value<string>('v')).read(), 'a');
      assert.equal(s.isEmpty(), false);
      v.clear();
      assert.equal(v.read(), undefined);
      assert.equal(s.isEmpty(), true, 'a cleared cell must not count');
    });

    it('bag: add in order, isEmpty, clear keeps what a reader already read', () => {
      const s = fresh();
      const b = s.state('w1', stateTags.bag<number>('b'));
      assert.equal(b.isEmpty(), true);
      b.add(1);
      b.add(2);
      b.add(1);
      const read = b.read();
      assert.deepEqual([...read], [1, 2, 1]);
      b.clear();
      assert.deepEqual([...read], [1, 2, 1]);
      assert.deepEqual([...b.read()], []);
      assert.equal(s.isEmpty(), true);
    });

    it('combining: inputs and accumulators fold; empty reads the empty accumulator', () => {
      const s = fresh();
      const c = s.state('w1', stateTags.combining('c', sum));
      assert.equal(c.isEmpty(), true);
      assert.equal(c.read(), 0);
      c.add(2);
      c.addAccumulator(5);
      assert.equal(c.read(), 7);
      assert.equal(c.readAccumulator(), 7);
      assert.equal(c.isEmpty(), false);
      c.clear();
      assert.equal(c.isEmpty(), true);
      assert.equal(s.isEmpty(), true);
    });

    it('map: primitive keys with JS Map semantics', () => {
      const s = fresh();
      const m = s.state('w1', stateTags.map<string | number, string>('m'));
      m.set(1, 'one');
      m.set('1', 'string one');
      m.set(1, 'uno');
      assert.equal(m.get(1), 'uno');
      assert.equal(m.get('1'), 'string one');
      assert.equal(m.has(2), false);
      assert.deepEqual(new Map(m.entries()), new Map<string | number, string>([[1, 'uno'], ['1', 'string one']]));
      assert.deepEqual(new Set(m.keys()), new Set<string | number>([1, '1']));
      m.delete(1);
      m.delete('1');
      assert.equal(m.isEmpty(), true);
      assert.equal(s.isEmpty(), true);
    });

    it('set: add reports novelty; delete; values', () => {
      const s = fresh();
      const st = s.state('w1', stateTags.set<number | boolean>('s'));
      assert.equal(st.add(1), true);
      assert.equal(st.add(1), false);
      assert.equal(st.add(true), true);
      assert.equal(st.has(1), true);
      assert.deepEqual(new Set(st.values()), new Set([1, true]));
      st.delete(1);
      st.delete(true);
      assert.equal(st.isEmpty(), true);
      assert.equal(s.isEmpty(), true);
    });

    it('orderedList: sorted by timestamp, stable for ties, ranges are [from, to)', () => {
      const s = fresh();
      const l = s.state('w1', stateTags.orderedList<string>('l'));
      l.add(5, 'e');
      l.add(1, 'a');
      l.add(3, 'c1');
      l.add(3, 'c2');
      assert.deepEqual(l.read().map((x) => x.value), ['a', 'c1', 'c2', 'e']);
      assert.deepEqual(l.read(3, 5).map((x) => x.value), ['c1', 'c2']);
      l.clearRange(1, 4);
      assert.deepEqual(l.read().map((x) => [x.timestamp, x.value]), [[5, 'e']]);
      l.clear();
      assert.equal(l.isEmpty(), true);
      assert.equal(s.isEmpty(), true);
    });

    it('watermark holds: earliest keeps the minimum, latest the maximum; changes are reported', () => {
      const events: Array<[string, string, Instant | undefined, Instant | undefined]> = [];
      const s = factory({ onHoldChanged: (ns, id, prev, next) => events.push([ns, id, prev, next]) });
      const early = s.state('w1', stateTags.watermarkHold('h'));
      early.add(10);
      early.add(5);
      early.add(7);
      assert.equal(early.read(), 5);
      const late = s.state('w1', stateTags.watermarkHold('l', 'latest'));
      late.add(3);
      late.add(9);
      late.add(4);
      assert.equal(late.read(), 9);
      early.clear();
      assert.deepEqual(events, [
        ['w1', 'h', undefined, 10],
        ['w1', 'h', 10, 5],
        ['w1', 'l', undefined, 3],
        ['w1', 'l', 3, 9],
        ['w1', 'h', 5, undefined],
      ]);
      s.clearNamespace('w1');
      assert.deepEqual(events.at(-1), ['w1', 'l', 9, undefined]);
      assert.equal(s.isEmpty(), true);
    });

    it('namespaces are isolated and clearNamespace drops only one', () => {
      const s = fresh();
      s.state('w1', stateTags.bag<number>('b')).add(1);
      s.state('w2', stateTags.bag<number>('b')).add(2);
      assert.deepEqual([...s.state('w1', stateTags.bag<number>('b')).read()], [1]);
      s.clearNamespace('w1');
      assert.deepEqual([...s.state('w1', stateTags.bag<number>('b')).read()], []);
      assert.deepEqual([...s.state('w2', stateTags.bag<number>('b')).read()], [2]);
      assert.equal(s.isEmpty(), false);
      s.clearNamespace('w2');
      assert.equal(s.isEmpty(), true);
    });

    it('rejects one id used for two kinds of state', () => {
      const s = fresh();
      s.state('w1', stateTags.value<number>('x')).write(1);
      assert.throws(() => s.state('w1', stateTags.bag<number>('x')), TypeError);
    });
  });
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { ByteReader, coders, encodeToBytes } from '../../model/index.ts';
import type { StateCombineFn } from '../../semantics/index.ts';
import { CombiningBuffer } from './combining-buffer.ts';
import { GroupingBuffer, latin1, latin1Bytes } from './grouping-buffer.ts';
import { MemoryBudget } from './memory-budget.ts';
import { SpillDirectory } from './spill-directory.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A string key as the buffer holds it: its coder's bytes as a latin1 string. */
const keyOf = (k: string): string => latin1(encodeToBytes(coders.string(), k));

/** The reference: a Map of key → values in arrival order, keys sorted by their bytes (`raw`: UTF-8, else the coder's). */
function reference(pairs: Array<[string, string]>, raw = false): Array<[string, string[]]> {
  const m = new Map<string, string[]>();
  const dk = (k: string): string => (raw ? dec.decode(latin1Bytes(k)) : coders.string().decode(new ByteReader(latin1Bytes(k))));
  for (const [k, v] of pairs) {
    const kb = raw ? latin1(enc.encode(k)) : keyOf(k);
    let l = m.get(kb);
    if (!l) m.set(kb, (l = []));
    l.push(v);
  }
  return [...m.keys()].sort().map((k) => [dk(k), m.get(k)!]);
}

function grouped(budgetBytes: number, pairs: Array<[string, string]>, maxFanIn?: number, flushEvery = 0): Promise<{ out: Array<[string, string[]]>; runs: number; spilled: number }> {
  return (async () => {
    const budget = MemoryBudget.of(budgetBytes);
    const buf = new GroupingBuffer<string, string>({ budget, keyCoder: coders.string(), valueCoder: coders.string(), ...(maxFanIn ? { maxFanIn } : {}) });
    let i = 0;
    for (const [k, v] of pairs) {
      buf.addValue(k, v);
      if (flushEvery && ++i % flushEvery === 0 && buf.needsFlush) await buf.flush();
    }
    const runs = buf.runCount;
    const out: Array<[string, string[]]> = [];
    for (const g of buf.groups()) out.push([g.key, g.values]);
    const spilled = budget.metrics().bytesSpilled;
    buf.close();
    assert.equal(budget.bytesInMemory, 0, 'everything released after close');
    return { out, runs, spilled };
  })();
}

const pairsArb = fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 30 })), { maxLength: 400 });

describe('GroupingBuffer', () => {
  it('groups in memory when within budget: every key once, byte order, values in arrival order', async () => {
    const pairs: Array<[string, string]> = [['b', '1'], ['a', '2'], ['b', '3'], ['é', '4'], ['', '5']];
    const { out, runs } = await grouped(1 << 20, pairs);
    assert.equal(runs, 0);
    assert.deepEqual(out, reference(pairs));
  });

  it('matches a Map reference when spilling at a tiny budget (property)', async () => {
    await fc.assert(
      fc.asyncProperty(pairsArb, fc.integer({ min: 200, max: 4000 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 7 }), async (pairs, budget, fanIn, flushEvery) => {
        const { out } = await grouped(budget, pairs, fanIn, flushEvery);
        assert.deepEqual(out, reference(pairs));
      }),
      { numRuns: 60 },
    );
  });

  it('spills sorted runs past the budget, merges more runs than the fan-in, and removes its files on close', async () => {
    const dir = SpillDirectory.create();
    const budget = MemoryBudget.of('8k');
    const buf = new GroupingBuffer({ budget, spillDir: dir, maxFanIn: 3 });
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < 5000; i++) pairs.push([`k${(i * 7919) % 613}`, `v${i}`]);
    for (const [k, v] of pairs) {
      buf.add(enc.encode(k), enc.encode(v));
      if (buf.needsFlush) await buf.flush();
    }
    assert.ok(buf.runCount > 3, `expected several runs, got ${buf.runCount}`);
    assert.ok(readdirSync(dir.path).length > 3);
    const out: Array<[string, string[]]> = [];
    for (const g of buf.groups()) out.push([dec.decode(g.key), g.values.map((v) => dec.decode(v))]);
    assert.deepEqual(out, reference(pairs, true));
    const m = budget.metrics();
    assert.ok(m.bytesSpilled > 0 && m.runsWritten > 3 && m.peakBytesInMemory > 0);
    buf.close();
    assert.equal(readdirSync(dir.path).length, 0, 'runs removed on close');
    dir.close();
    assert.equal(existsSync(dir.path), false);
  });

  it('orders many keys with shared prefixes, zero and 0xff bytes and prefixes of each other by their bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 9 }).map((b) => Uint8Array.from(b, (x) => [0, 1, 0xff, 0x61][x % 4]!)), { minLength: 20, maxLength: 3000 }), (keys) => {
        const buf = new GroupingBuffer({ budget: MemoryBudget.of('64m') });
        keys.forEach((k, i) => buf.add(k, enc.encode(String(i))));
        const got = [...buf.groups()].map((g) => [Buffer.from(g.key).toString('hex'), g.values.map((v) => dec.decode(v))]);
        const ref = new Map<string, string[]>();
        keys.forEach((k, i) => {
          const h = Buffer.from(k).toString('hex');
          ref.set(h, [...(ref.get(h) ?? []), String(i)]);
        });
        const want = [...ref.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))).map((h) => [h, ref.get(h)]);
        assert.deepEqual(got, want);
        buf.close();
      }),
      { numRuns: 40 },
    );
  });

  it('asks for a flush when its share of the worker budget is used, not for a few bytes when a sibling overruns', () => {
    const worker = MemoryBudget.of('1m', 'worker');
    const buf = new GroupingBuffer({ budget: worker.child('gbk', 0.5) });
    worker.child('state', 0.5).reserve(2 << 20); // a sibling far past the worker's limit
    buf.add(enc.encode('k'), enc.encode('v'));
    assert.equal(buf.needsFlush, false);
    for (let i = 0; i < 3000; i++) buf.add(enc.encode(`k${i}`), enc.encode('x'.repeat(100)));
    assert.equal(buf.needsFlush, true);
    buf.close();
  });

  it('spills synchronously when the engine never flushes (memory stays bounded)', () => {
    const budget = MemoryBudget.of('4k');
    const buf = new GroupingBuffer({ budget });
    for (let i = 0; i < 3000; i++) {
      buf.add(enc.encode(`key${i % 100}`), enc.encode(`value number ${i}`));
      assert.ok(budget.bytesInMemory <= 2 * 4096 + 200, `in memory ${budget.bytesInMemory}`);
    }
    assert.ok(buf.runCount > 0);
    let n = 0;
    for (const g of buf.groups()) n += g.values.length;
    assert.equal(n, 3000);
    buf.close();
  });

  it('refuses input while an asynchronous flush writes its contents (it would be cleared with them, or misplaced)', async () => {
    const buf = new GroupingBuffer({ budget: MemoryBudget.of('1m') });
    for (let i = 0; i < 100_000; i++) buf.add(enc.encode(`key${i % 5000}`), enc.encode(`value ${i}`));
    const flushing = buf.flush();
    assert.throws(() => buf.add(enc.encode('late'), enc.encode('v')), (e: Error & { code?: string }) => e.code === 'ENGINE_INVARIANT' && /while a flush was writing/.test(e.message));
    await flushing;
    buf.add(enc.encode('after'), enc.encode('v'));
    let n = 0;
    for (const g of buf.groups()) n += g.values.length;
    assert.equal(n, 100_001, 'every value added outside the flush is kept');
    buf.close();
  });
});

const sum: StateCombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (a, x) => a + x,
  mergeAccumulators: (as) => as.reduce((a, b) => a + b, 0),
  extractOutput: (a) => a,
};

describe('CombiningBuffer', () => {
  it('combines hot keys before spilling and matches a reference (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.integer({ min: -1000, max: 1000 })), { maxLength: 500 }), fc.integer({ min: 300, max: 3000 }), async (pairs, budgetBytes) => {
        const budget = MemoryBudget.of(budgetBytes);
        const buf = new CombiningBuffer<string, number, number, number>({ budget, combineFn: sum, accumulatorCoder: coders.varInt(), keyCoder: coders.string(), maxFanIn: 2 });
        let i = 0;
        for (const [k, v] of pairs) {
          if (i++ % 3 === 0) buf.addAccumulator(keyOf(k), v);
          else buf.addValue(k, v);
          if (buf.needsFlush) await buf.flush();
        }
        const expected = new Map<string, number>();
        for (const [k, v] of pairs) expected.set(keyOf(k), (expected.get(keyOf(k)) ?? 0) + v);
        const want = [...expected.keys()].sort().map((k) => [coders.string().decode(new ByteReader(latin1Bytes(k))), expected.get(k)]);
        const got = [...buf.results()].map((r) => [r.key, r.output]);
        assert.deepEqual(got, want);
        buf.close();
      }),
      { numRuns: 60 },
    );
  });

  it('a hot key costs one accumulator: a million inputs of one key never spill', () => {
    const budget = MemoryBudget.of('4k');
    const buf = new CombiningBuffer<string, number, number, number>({ budget, combineFn: sum, accumulatorCoder: coders.varInt(), keyCoder: coders.string() });
    for (let i = 0; i < 1_000_000; i++) buf.addValue('hot', 1);
    assert.equal(buf.runCount, 0);
    assert.deepEqual([...buf.results()], [{ key: 'hot', output: 1_000_000 }]);
    buf.close();
  });
});

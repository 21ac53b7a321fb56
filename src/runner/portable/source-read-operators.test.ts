// The read's splittable DoFn parts without a runner: the whole source is split into its initial parts with their
// sizes, each part read on its own gives the part's records (all parts together: the whole source, once), and a
// source that splits differently the second time is an error naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_WINDOWS, MIN_TIMESTAMP, NO_FIRING, type BoundedSource, type KV, type WindowedValue } from '../../model/index.ts';
import { INITIAL_PARTS, pairWithRestrictionOperator, readRestrictionOperator, splitAndSizeOperator } from './source-read-operators.ts';

/** Numbers [from, to) as a source of 10 bytes a record, split in ranges of the desired size (like a file's byte ranges). */
function numbers(from: number, to: number, shift = 0): BoundedSource<number> {
  return {
    kind: 'bounded',
    describe: () => `numbers(${from}, ${to})`,
    estimateSizeBytes: async () => (to - from) * 10,
    split: async (desired) => {
      const per = Math.max(1, Math.floor(desired / 10)) + shift;
      const parts: BoundedSource<number>[] = [];
      for (let a = from; a < to; a += per) parts.push(numbers(a, Math.min(to, a + per)));
      return parts;
    },
    read: async function* () {
      const values = Array.from({ length: to - from }, (_, i) => from + i);
      yield { values, errors: values.includes(13) ? [{ step: 'numbers', error: 'unlucky', element: 13, time: '' }] : [] } as never;
    },
  };
}

const wv = (value: unknown): WindowedValue<unknown> => ({ value, timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });

test('initial splits: the source parts with their sizes; each part read alone; together the whole source once', async () => {
  const source = numbers(0, 100);
  const paired: WindowedValue<unknown>[] = [];
  await pairWithRestrictionOperator((w) => void paired.push(w)).process(wv(new Uint8Array([1])));
  const split: WindowedValue<unknown>[] = [];
  await splitAndSizeOperator(source, (w) => void split.push(w)).process(paired[0]!);
  assert.equal(split.length, INITIAL_PARTS);
  const restrictions = split.map((w) => (w.value as KV<KV<unknown, unknown>, number>).key.value);
  assert.deepEqual(restrictions[1], { part: 1, of: INITIAL_PARTS, desiredBytes: 250 });
  assert.deepEqual(split.map((w) => (w.value as KV<unknown, number>).value), [250, 250, 250, 250]);
  const read: number[] = [];
  const errors: unknown[] = [];
  const reader = readRestrictionOperator('Numbers', numbers(0, 100), (w) => void read.push(w.value as number), (w) => void errors.push(w.value));
  const perPart: number[] = [];
  for (const w of [...split].reverse()) {
    reader.startBundle?.();
    await reader.process(w);
    perPart.push(reader.completed());
  }
  assert.deepEqual(perPart, [25, 25, 25, 26], 'a bundle reads its part only (the part with 13 has a bad record too)');
  assert.deepEqual([...read].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(errors, [{ step: 'Numbers', error: 'unlucky', element: 13, time: '', origin: { source: 'numbers' } }]);
});

test('a source that splits differently than when the runner split it is an error naming it', async () => {
  const split: WindowedValue<unknown>[] = [];
  await splitAndSizeOperator(numbers(0, 100), (w) => void split.push(w)).process(wv({ key: new Uint8Array(), value: { whole: true } }));
  const reader = readRestrictionOperator('Numbers', numbers(0, 100, 10), () => undefined, undefined);
  await assert.rejects(async () => reader.process(split[0]!), /Numbers: the source numbers\(0, 100\) split into 3 parts here but 4 when the runner split it/);
});

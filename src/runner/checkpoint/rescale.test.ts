import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperatorPart } from './format.ts';
import { rescaleParts } from './rescale.ts';

const part = (w: number, step: string, kind: string, state: unknown): OperatorPart => ({
  step,
  kind,
  inputWatermark: 100 * (w + 1),
  outputWatermark: 10 * (w + 1),
  counters: [w + 1, 2, 0, 0],
  state,
});
const bytes = (n: number) => new Uint8Array([n]);

// Three old workers, each with a grouping (key groups), a stateful ParDo with elements waiting for side inputs, a sink's
// prepared commit and a view; restored on 2 workers whose ranges are groups 0–3 and 4–7.
const old = [0, 1, 2].flatMap((w) => [
  part(w, 'Group', 'groupByKey', { keyed: [[w, bytes(w)], [w + 4, bytes(w + 4)]], reducerWatermark: 5 - w }),
  part(w, 'Stateful', 'parDo', { keyed: [[w * 2, bytes(w * 2)]], waiting: bytes(90 + w) }),
  part(w, 'Write', 'write', { prepared: `pending-w${w}` }),
  part(w, 'View', 'view', { watermark: 7, data: bytes(w) }),
]);
const inRange = (j: number, g: number) => (j === 0 ? g < 4 : g >= 4);

test('a checkpoint of 3 workers restored on 2: each key group to the worker owning its range, the rest to exactly one worker', () => {
  const pieces = rescaleParts(old, 3, 2, inRange, () => undefined);
  assert.equal(pieces.length, 2);
  const [w0, w1] = pieces as [NonNullable<(typeof pieces)[0]>, NonNullable<(typeof pieces)[1]>];
  // Grouping: every old worker's groups of the range; the reducer watermark is the minimum.
  assert.deepEqual(w0[0]!.states, [{ keyed: [[0, bytes(0)], [1, bytes(1)], [2, bytes(2)]], reducerWatermark: 3 }]);
  assert.deepEqual(w1[0]!.states, [{ keyed: [[4, bytes(4)], [5, bytes(5)], [6, bytes(6)]], reducerWatermark: 3 }]);
  // Stateful ParDo: groups by range (0, 2 → worker 0; 4 → worker 1); waiting elements of old w to new w mod 2.
  assert.deepEqual(w0[1]!.states, [{ keyed: [[0, bytes(0)], [2, bytes(2)]] }, { waiting: bytes(90) }, { waiting: bytes(92) }]);
  assert.deepEqual(w1[1]!.states, [{ keyed: [[4, bytes(4)]] }, { waiting: bytes(91) }]);
  // Each prepared commit is re-committed by one worker only.
  assert.deepEqual([...w0[2]!.states, ...w1[2]!.states].map((s) => (s as { prepared: string }).prepared).sort(), ['pending-w0', 'pending-w1', 'pending-w2']);
  assert.deepEqual(w0[2]!.states, [{ prepared: 'pending-w0' }, { prepared: 'pending-w2' }]);
  // A view is the same everywhere: old worker 0's, in every new worker.
  assert.deepEqual(w0[3]!.states, [{ watermark: 7, data: bytes(0) }]);
  assert.deepEqual(w1[3]!.states, [{ watermark: 7, data: bytes(0) }]);
  // Counters summed into worker 0 (the job's figures stay the sum); watermarks the minimum; pieces named by step.
  assert.deepEqual(w0[0]!.counters, [6, 6, 0, 0]);
  assert.deepEqual(w1[0]!.counters, [0, 0, 0, 0]);
  assert.equal(w1[0]!.inputWatermark, 100);
  assert.equal(w1[0]!.outputWatermark, 10);
  assert.deepEqual(w0.map((p) => p.step), ['Group', 'Stateful', 'Write', 'View']);
});

test('restored on more workers than took it: new workers get their key groups and nothing unkeyed; sources as the caller says', () => {
  const parts = [0, 1].flatMap((w) => [part(w, 'Read', 'read', { kind: 'unbounded', position: w, watermark: 0 }), part(w, 'Group', 'groupByKey', { keyed: [[w * 4, bytes(w)]], reducerWatermark: 0 })]);
  const three = (j: number, g: number) => Math.floor(g / 3) === j;
  const pieces = rescaleParts(parts, 2, 3, three, (n) => (n === 0 ? { kind: 'on', worker: 0, from: 0 } : undefined));
  assert.deepEqual(pieces.map((w) => w[0]!.states), [[{ kind: 'unbounded', position: 0, watermark: 0 }], [], []]);
  assert.deepEqual(pieces.map((w) => (w[1]!.states[0] as { keyed: unknown[] }).keyed.length), [1, 1, 0]);
});

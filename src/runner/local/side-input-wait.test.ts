// Regression (found by examples/fraud-detection.ts): elements of a stateful DoFn that wait for a side input are
// judged late when they arrive, not when they are released. An unbounded main input that ends (watermark +∞) before a
// slower side input is ready used to have every waiting element dropped as late on release — the job said DONE with
// nothing out.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { kv, MAX_TIMESTAMP, MIN_TIMESTAMP, parDo, Pipeline, read, state, view, writeTo, type BoundedSource, type KV, type UnboundedSource } from '../../index.ts';

const main: UnboundedSource<KV<string, number>, number> = {
  kind: 'unbounded',
  describe: () => 'main',
  async open() {
    let done = false;
    return {
      async next() {
        if (done) return null;
        done = true;
        return { values: Array.from({ length: 100 }, (_, i) => kv(`k${i % 5}`, i)), timestamps: Array.from({ length: 100 }, (_, i) => 1000 + i) };
      },
      position: () => 0,
      watermark: () => (done ? MAX_TIMESTAMP : MIN_TIMESTAMP),
      async close() {},
    };
  },
};

const slowSide: BoundedSource<KV<string, string>> = {
  kind: 'bounded',
  describe: () => 'side',
  estimateSizeBytes: async () => 10,
  async split() {
    return [slowSide];
  },
  async *read() {
    await new Promise((r) => setTimeout(r, 100));
    yield { values: [kv('k0', 'x'), kv('k1', 'y')] };
  },
};

it('a stateful DoFn processes the elements that waited for a side input after its main input ended', async () => {
  const p = Pipeline.create();
  const names = p.apply('Side', read(slowSide)).apply(view.asMap<string, string>());
  const out: string[] = [];
  p.apply('Main', read(main))
    .apply(
      'Enrich',
      parDo({
        state: { seen: state.value<number>() },
        sideInputs: { names },
        process(e: KV<string, number>, ctx) {
          ctx.state.seen.write((ctx.state.seen.read() ?? 0) + 1);
          ctx.output(`${e.key}:${ctx.side.names.get(e.key) ?? '-'}`);
        },
      }),
    )
    .apply(writeTo<unknown>({ describe: () => 'memory', async open() { return { write: (v) => void out.push(String(v)), flush: () => undefined, finish: async () => {}, abort: async () => {} }; } }));
  const result = await p.run();
  assert.equal(result.state, 'DONE');
  assert.equal(result.metrics.steps.find((s) => s.step === 'Enrich')!.droppedLate, 0);
  assert.equal(out.length, 100);
  assert.equal(out.filter((v) => v === 'k0:x').length, 20);
});

// JobControl (issue 14): drain, savepoint and cancel of a running job, in one thread (worker threads: savepoint.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combine, JobControl, kv, LocalRunner, Pipeline, read, RiffleError, window, type KV, type UnboundedSource } from '../../src/index.ts';

/** A stream that never ends by itself: 10 elements per poll, key k<i % 3>, value 1, at i × 100 ms. */
function endless(): UnboundedSource<KV<string, number>, number> {
  return {
    kind: 'unbounded',
    describe: () => 'endless',
    async open(position) {
      let next = position ?? 0;
      return {
        async next() {
          await new Promise((r) => setTimeout(r, 1));
          const values: KV<string, number>[] = [];
          const timestamps: number[] = [];
          for (const end = next + 10; next < end; next++) {
            values.push(kv(`k${next % 3}`, 1));
            timestamps.push(next * 100);
          }
          return { values, timestamps };
        },
        position: () => next,
        watermark: () => next * 100 - 1000,
        async close() {},
      };
    },
  };
}

function build(): { p: Pipeline; sums: () => KV<string, number>[] } {
  const p = Pipeline.create();
  const got: KV<string, number>[] = [];
  p.apply(read(endless()))
    .apply(window.into<KV<string, number>>(window.fixed('10s')))
    .apply(combine.perKey(combine.sum((v: number) => v)))
    .map((s: KV<string, number>) => void got.push(s));
  return { p, sums: () => got };
}

test('drain: the sources end their input at a batch boundary, every window fires (also the last, open one), the run ends DONE', async () => {
  const { p, sums } = build();
  const job = new JobControl();
  const running = new LocalRunner().run(p.graph, { control: job, pollIntervalMs: 1 });
  await new Promise((r) => setTimeout(r, 300));
  job.drain();
  const r = await running;
  assert.equal(r.state, 'DONE');
  const read = r.metrics.steps.find((s) => s.kind === 'read')!.elementsOut;
  assert.ok(read > 0 && read % 10 === 0, `read ${read}`);
  // Every element read is in a fired pane (the watermark went to the end of time): the sums add up to what was read.
  assert.equal(sums().reduce((n, s) => n + s.value, 0), read);
});

test('cancel ends the run CANCELLED; savepoint() of a run started without savepoint options is refused, saying what to do', async () => {
  const { p } = build();
  const job = new JobControl();
  const running = new LocalRunner().run(p.graph, { control: job, pollIntervalMs: 1 });
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(job.savepoint('/tmp/never'), (e: unknown) => e instanceof RiffleError && /cannot take a savepoint/.test(e.message) && /--savepoint-dir/.test(e.hint ?? ''));
  job.cancel();
  assert.equal((await running).state, 'CANCELLED');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, create, flattenWith, GLOBAL_WINDOWS, groupByKey, kv, map, MIN_TIMESTAMP, NO_FIRING, Pipeline, writeTo, writeToWithResults, type Sink, type SinkWriter } from '../../index.ts';
import { LocalRunner } from './engine.ts';
import { buildJob } from './build.ts';
import { realClock } from './clock.ts';
import { MetricsRegistry } from './metrics.ts';
import { NULL_RECEIVER } from './operator.ts';
import { plan } from './planner.ts';
import { PrecombineOp } from './precombine-op.ts';
import { GroupOp } from './group-op.ts';

function jobOf(p: Pipeline, allBounded: boolean) {
  p.graph.freeze();
  return buildJob({
    graph: p.graph,
    plan: plan(p.graph),
    clock: realClock,
    metrics: new MetricsRegistry(),
    signal: new AbortController().signal,
    allBounded,
    batchGrouping: true,
    deadLetter: NULL_RECEIVER,
  });
}

test('the plan\'s stages are what runs: a lifted combine precombines in its producer\'s stage, the grouping heads the next, behind a channel', () => {
  const p = Pipeline.create();
  p.apply(create([1, 2, 3]))
    .apply(map((x: number) => kv(x % 2, x)))
    .apply(combine.perKey(combine.sum()));
  // Not all bounded (as in a streaming run): the combine is lifted.
  const job = jobOf(p, false);
  assert.equal(job.stages.length, 2);
  const [first, second] = job.stages;
  assert.deepEqual(first!.ops.map((o) => o.constructor.name), ['SourceOp', 'MapOp', 'PrecombineOp']);
  assert.ok(second!.ops[0] instanceof GroupOp);
  assert.equal(second!.valve.channels, 1, 'one input channel: from the precombine');
  assert.ok(first!.ops[2] instanceof PrecombineOp);
});

test('watermarks reach a later stage only through its valve, in-band after the data', async () => {
  const p = Pipeline.create();
  p.apply(create([1, 2, 3, 4]))
    .apply(map((x: number) => kv(x % 2, x)))
    .apply(combine.perKey(combine.sum()));
  const job = jobOf(p, true);
  const [first, second] = job.stages;
  const group = second!.ops[0]!;
  first!.ops[0]!.outputWatermark = 10; // the source's watermark
  first!.settle();
  assert.equal(second!.valve.output, 10, 'the channel carried the watermark to the valve');
  assert.equal(group.inputWatermark, MIN_TIMESTAMP, 'the grouping has not moved before its own stage settles');
});

/** A sink that records the order of calls; its flush completes on a later turn of the event loop. */
function recordingSink(log: string[], opts: { failFlush?: boolean } = {}): Sink<number> {
  return {
    describe: () => 'recording',
    async open(): Promise<SinkWriter<number>> {
      log.push('open');
      let buffer: number[] = [];
      return {
        write: (v) => void buffer.push(v),
        flush: () => {
          if (buffer.length === 0) return undefined;
          const batch = buffer;
          buffer = [];
          log.push(`flush-start ${batch.length}`);
          return new Promise<void>((resolve, reject) =>
            setTimeout(() => {
              log.push(`flush-done ${batch.length}`);
              if (opts.failFlush) reject(new Error('disk full'));
              else resolve();
            }, 5),
          );
        },
        finish: async () => void log.push('finish'),
        abort: async () => void log.push('abort'),
      };
    },
  };
}

test('a sink is awaited: each bundle\'s flush completes before the next bundle enters; finish commits at the end', async () => {
  const log: string[] = [];
  const p = Pipeline.create();
  p.apply(create([1, 2, 3, 4, 5], { batchSize: 2 })).apply(writeTo(recordingSink(log)));
  const result = await p.run({ runner: new LocalRunner() });
  assert.equal(result.state, 'DONE');
  assert.deepEqual(log, ['open', 'flush-start 2', 'flush-done 2', 'flush-start 2', 'flush-done 2', 'flush-start 1', 'flush-done 1', 'finish']);
});

test('a failing sink write fails the job naming the step; the writer is aborted, never finished', async () => {
  const log: string[] = [];
  const p = Pipeline.create();
  p.apply(create([1, 2, 3], { batchSize: 1 })).apply('Out', writeTo(recordingSink(log, { failFlush: true })));
  await assert.rejects(p.run({ runner: new LocalRunner() }), /step 'Out \(recording\)' failed.*disk full/);
  assert.ok(log.includes('abort'));
  assert.ok(!log.includes('finish'));
});

test('a barrier injected at a source reaches the next stage in-band, after the data before it, aligned over its inputs', () => {
  const p = Pipeline.create();
  const a = p.apply('A', create([1, 2]));
  const b = p.apply('B', create([3]));
  a.apply(flattenWith([b])).apply(map((x: number) => kv(x, x))).apply(groupByKey());
  const job = jobOf(p, false);
  const [sa, sb, flat] = job.stages;
  assert.equal(flat!.valve.channels, 2);
  const seen: number[] = [];
  const head = flat!.ops[0]!;
  const process = head.process.bind(head);
  head.process = (v, t, w, pn) => {
    seen.push(v as number);
    process(v, t, w, pn);
  };
  sa!.ops[0]!.outputs.get('main')!.process(1, 0, GLOBAL_WINDOWS, NO_FIRING);
  sa!.injectBarrier(7);
  assert.deepEqual(flat!.alignedBarriers, [], 'not aligned: input B has not delivered barrier 7');
  sb!.injectBarrier(7);
  assert.deepEqual(flat!.alignedBarriers, [7]);
  assert.deepEqual(seen, [1], 'the element sent before the barrier was in before it');
  assert.deepEqual(job.stages.at(-1)!.alignedBarriers, [7], 'and the barrier went on to the grouping stage');
});

test('what a sink\'s flush reports goes out on its output, and its output watermark waits for it', async () => {
  const sink: Sink<number, string> = {
    describe: () => 'reporting',
    async open() {
      let n = 0;
      return {
        write: () => void n++,
        flush: () => {
          const count = n;
          n = 0;
          return new Promise((resolve) => setTimeout(() => resolve([{ value: `bundle of ${count}`, timestamp: 0, window: GLOBAL_WINDOWS[0]! }]), 5));
        },
        finish: async () => {},
        abort: async () => {},
      };
    },
  };
  const p = Pipeline.create();
  const reports = p.apply(create([1, 2, 3], { batchSize: 2 })).apply(writeToWithResults(sink));
  const grouped: unknown[] = [];
  // A grouping after the sink fires only once the sink's output watermark passes: after every report is out.
  reports.apply(map((r: string) => kv('all', r))).apply(groupByKey()).apply(map((g) => grouped.push(g)));
  await p.run({ runner: new LocalRunner() });
  assert.deepEqual(grouped, [{ key: 'all', value: ['bundle of 2', 'bundle of 1'] }]);
});

test('keyed state plugs in through keyState: each key gets its key group, and the state\'s flush is awaited between bundles', async () => {
  const { IN_MEMORY_KEY_STATE } = await import('./keyed-store.ts');
  const groups = new Set<number>();
  let flushes = 0;
  let inFlight = false;
  const keyState = {
    create: (keyGroup: number, encoded: unknown, key: unknown, onHold: (cell: object, next: number | undefined) => void) => {
      assert.equal(inFlight, false, 'no state is touched while its flush is in flight');
      groups.add(keyGroup);
      return IN_MEMORY_KEY_STATE.create(keyGroup, encoded as never, key, onHold);
    },
    pendingIo: () => {
      inFlight = true;
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          flushes++;
          inFlight = false;
          resolve();
        }, 1),
      );
    },
  };
  const out: unknown[] = [];
  const p = Pipeline.create();
  p.apply(create([1, 2, 3, 4, 5, 6], { batchSize: 2 }))
    .apply(map((x: number) => kv(`k${x % 3}`, x)))
    .apply(groupByKey())
    .apply(map((g) => out.push(g)));
  // batchGrouping off: the streaming reducer, with per-key state.
  await p.run({ runner: new LocalRunner(), batchGrouping: false, keyState, maxParallelism: 16 });
  assert.equal(out.length, 3);
  assert.ok(flushes >= 3, `the state's flush was awaited after each batch (${flushes})`);
  for (const g of groups) assert.ok(g >= 0 && g < 16);
});

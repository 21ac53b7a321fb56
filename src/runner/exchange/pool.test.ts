import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WorkerPool } from './pool.ts';
import { WorkerFailedError } from './protocol.ts';
import { splitPairs, type KeyedSumData, type KeyedSumResult } from './fixtures/keyed-sum-job.ts';

const job = new URL('./fixtures/keyed-sum-job.ts', import.meta.url);

function reference(data: KeyedSumData, splits: number): Map<string, number> {
  const sums = new Map<string, number>();
  for (let s = 0; s < splits; s++) for (const { key, value } of splitPairs(data.seed, s, data.pairsPerSplit, data.keys)) sums.set(key, (sums.get(key) ?? 0) + value);
  return sums;
}

async function run(workers: number, data: KeyedSumData, splits: number, ringBytes?: number): Promise<KeyedSumResult[]> {
  const pool = WorkerPool.start({ workers, module: job, data, exchanges: ['pairs'], splits: Array.from({ length: splits }, (_, i) => i), ...(ringBytes ? { ringBytes } : {}) });
  return (await pool.result).map((r) => r.result as KeyedSumResult);
}

function merged(results: KeyedSumResult[]): Map<string, number> {
  const all = new Map<string, number>();
  for (const r of results) {
    for (const [k, v] of r.sums) {
      assert.ok(!all.has(k), `key ${k} was summed by two workers`);
      all.set(k, v);
    }
  }
  return all;
}

test('a keyed sum exchanged by key group gives the same result for 1 to 4 workers (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ seed: fc.integer({ min: 1, max: 1e6 }), pairsPerSplit: fc.integer({ min: 0, max: 3000 }), keys: fc.integer({ min: 1, max: 500 }), bundleBytes: fc.integer({ min: 16, max: 8192 }) }),
      fc.integer({ min: 0, max: 6 }),
      async (data, splits) => {
        const expected = reference(data, splits);
        for (const workers of [1, 2, 3, 4]) {
          // A small ring (1 KiB) makes writers wait for space and bundles stream through in pieces.
          const results = await run(workers, data, splits, 1024);
          assert.deepEqual(merged(results), expected, `${workers} workers`);
          assert.equal(results.reduce((a, r) => a + r.misrouted, 0), 0, 'every key reached the worker owning its key group');
          assert.equal(results.reduce((a, r) => a + r.received, 0), data.pairsPerSplit * splits);
          // Every worker's input watermark is the largest its senders sent (1000 + their index): in-band, after the data.
          for (const r of results) assert.equal(r.watermark, 1000 + workers - 1);
        }
      },
    ),
    { seed: Number(process.env.RIFFLE_EXCHANGE_SEED ?? 4242), numRuns: Number(process.env.RIFFLE_EXCHANGE_RUNS ?? 1) },
  );
});

test('control commands reach every worker in order, and control() resolves once all handled them', async () => {
  const data: KeyedSumData = { seed: 1, pairsPerSplit: 100, keys: 10, mode: 'control' };
  const pool = WorkerPool.start({ workers: 3, module: job, data, exchanges: ['pairs'], splits: [0, 1, 2] });
  await pool.control({ advanceWatermarkTo: 5 });
  await pool.control({ advanceProcessingTime: 7 });
  await pool.control({ finish: true });
  const results = (await pool.result).map((r) => r.result as KeyedSumResult);
  for (const r of results) assert.deepEqual(r.controls, [{ advanceWatermarkTo: 5 }, { advanceProcessingTime: 7 }, { finish: true }]);
  assert.deepEqual(merged(results), reference(data, 3));
  assert.deepEqual(
    pool.metrics().map((m) => m.sent).reduce((a, b) => a! + b!, 0),
    300,
  );
});

async function expectFailure(data: KeyedSumData, check: (e: WorkerFailedError) => void, act?: (pool: WorkerPool) => Promise<void>, workers = 2): Promise<number> {
  const started = Date.now();
  const pool = WorkerPool.start({ workers, module: job, data, exchanges: ['pairs'], splits: Array.from({ length: 6 }, (_, i) => i), ringBytes: 4096 });
  if (act) await act(pool);
  await assert.rejects(pool.result, (e: unknown) => {
    assert.ok(e instanceof WorkerFailedError, String(e));
    check(e);
    return true;
  });
  return Date.now() - started;
}

test('a step that throws in one worker stops every worker and names the step and element', async () => {
  const ms = await expectFailure({ seed: 3, pairsPerSplit: 2000, keys: 50, mode: 'throw', failWorker: 1 }, (e) => {
    assert.equal(e.worker, 1);
    assert.equal(e.code, 'STEP_FAILED');
    assert.equal(e.domain, 'user');
    assert.equal(e.context.step, 'SumPerKey');
    assert.match(String(e.context.element), /^\{"key":"k\d+","value":\d+\}$/);
    assert.match(e.message, /^step 'SumPerKey' failed on element \{"key":"k\d+".*the sum overflowed.* \(in worker 1 of 3\)/s);
  }, undefined, 3);
  assert.ok(ms < 15_000, `stopped in ${ms} ms`);
});

test('a worker that calls process.exit stops the job', async () => {
  await expectFailure({ seed: 3, pairsPerSplit: 500, keys: 50, mode: 'exit', failWorker: 1 }, (e) => {
    assert.equal(e.worker, 1);
    assert.match(e.message, /worker 1 of 2 exited \(code 3\) before finishing/);
  });
});

test('an uncaught error in a worker stops the job with its message', async () => {
  await expectFailure({ seed: 3, pairsPerSplit: 500, keys: 50, mode: 'uncaught', failWorker: 0 }, (e) => {
    assert.equal(e.worker, 0);
    assert.match(e.message, /an uncaught failure/);
  });
});

test('a worker thread terminated from outside stops the job (the others were blocked on its input)', async () => {
  await expectFailure(
    { seed: 3, pairsPerSplit: 500, keys: 50, mode: 'hang', failWorker: 1 },
    (e) => assert.match(e.message, /worker 1 of 2 exited \(code 1\) before finishing/),
    async (pool) => {
      while (pool.metrics()[1]!.hanging !== 1) await new Promise((r) => setTimeout(r, 20));
      await pool.terminateWorker(1);
    },
  );
});

test('cancel stops a job whose worker never finishes', async () => {
  const pool = WorkerPool.start({ workers: 2, module: job, data: { seed: 1, pairsPerSplit: 10, keys: 5, mode: 'hang', failWorker: 0 }, exchanges: ['pairs'], splits: [0, 1] });
  await pool.cancel('stopped by the test');
  await assert.rejects(pool.result, /stopped by the test/);
});

test('a missing module is refused before any thread starts; a module without runWorker fails the job saying so', async () => {
  assert.throws(() => WorkerPool.start({ workers: 1, module: new URL('./fixtures/no-such-job.ts', import.meta.url) }), /worker module .*no-such-job.ts does not exist/);
  const pool = WorkerPool.start({ workers: 1, module: new URL('./key-group-range.ts', import.meta.url) });
  await assert.rejects(pool.result, (e: unknown) => e instanceof WorkerFailedError && e.code === 'WORKER_MODULE_INVALID' && /does not export a function runWorker/.test(e.message));
});

test('bad worker counts are refused before any thread starts', () => {
  assert.throws(() => WorkerPool.start({ workers: 0, module: job }), /at least 1/);
  assert.throws(() => WorkerPool.start({ workers: 5, module: job, maxParallelism: 4 }), /exceed maxParallelism 4/);
});

test('control() does not wait for workers that already finished', async () => {
  const pool = WorkerPool.start({ workers: 3, module: job, data: { seed: 1, pairsPerSplit: 0, keys: 1, mode: 'control-only', failWorker: 0 } });
  await pool.control({ advanceProcessingTime: 1 });
  // More commands than worker 0's control ring holds (it never reads them), not awaited one by one: they stay in order.
  const many = Array.from({ length: 800 }, (_, i) => pool.control({ tick: i, pad: 'x'.repeat(100) }));
  await Promise.all(many);
  await pool.control({ finish: true });
  const results = (await pool.result).map((r) => (r.result as KeyedSumResult).controls);
  assert.deepEqual(results[0], []);
  for (const r of results.slice(1)) {
    assert.equal(r.length, 802);
    assert.deepEqual(r[0], { advanceProcessingTime: 1 });
    assert.deepEqual(r.slice(1, 801).map((c) => (c as { tick: number }).tick), Array.from({ length: 800 }, (_, i) => i));
    assert.deepEqual(r[801], { finish: true });
  }
  await pool.control({ late: true }); // every worker is done: nothing to wait for
});

test('the process ends by itself after a job, whether it succeeded or failed (no thread outlives it)', () => {
  const script = fileURLToPath(new URL('./fixtures/run-pool.ts', import.meta.url));
  const ok = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(ok.signal, null, `killed by the timeout: it hung (stderr: ${ok.stderr})`);
  assert.equal(ok.stdout.trim(), 'ok 3000', ok.stderr);
  assert.equal(ok.status, 0);
  const failed = spawnSync(process.execPath, ['--import', 'tsx', script, 'throw'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(failed.signal, null, `killed by the timeout: it hung (stderr: ${failed.stderr})`);
  assert.match(failed.stdout, /^failed: step 'SumPerKey' failed on element .*\(in worker 1 of 2\)/);
  assert.equal(failed.status, 1);
});

test('splits: none before every worker started, per read, and no more than N ahead of the slowest reader', async () => {
  const module = new URL('./fixtures/split-order-job.ts', import.meta.url);
  type Ref = { node: string; index: number };
  // Splits of two reads, interleaved: a worker asking for read 'r' gets only r's, in order.
  const splits: Ref[] = [];
  for (let i = 0; i < 12; i++) splits.push({ node: 'r', index: i }, { node: 'other', index: i });
  const reading: Array<{ index: number; from: number; to: number }> = [];
  const pool = WorkerPool.start({
    workers: 2,
    module,
    data: { lateWorker: 1, lateMs: 300, msPerSplit: [60, 5] },
    splits,
    splitsOnceStarted: true,
    splitOf: (s) => (s as Ref).node,
    holdSplit: (next, now) => now.some((r) => r !== undefined && (r as Ref).node === (next as Ref).node && (r as Ref).index < (next as Ref).index - 2),
  });
  const results = (await pool.result).map((r) => r.result as { startedAt: number; reads: Array<[Ref, number, number]>; none: unknown });
  const lateStart = results[1]!.startedAt;
  for (const [w, r] of results.entries()) {
    assert.equal(r.none, undefined, 'a read with no splits gets none');
    for (const [ref, got, done] of r.reads) {
      assert.equal(ref.node, 'r', `worker ${w} got only read r's splits`);
      assert.ok(got >= lateStart - 5, `worker ${w} got split ${ref.index} before worker 1 started`);
      reading.push({ index: ref.index, from: got, to: done });
    }
    const order = r.reads.map(([ref]) => ref.index);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `worker ${w} got its splits in order`);
  }
  assert.deepEqual(reading.map((r) => r.index).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i), 'each split of r read once');
  // The fast worker never got split k while the slow one was still reading a split before k − 2 (5 ms of slack for
  // the messages' travel).
  for (const a of reading) {
    for (const b of reading) if (b.index < a.index - 2) assert.ok(!(b.from < a.from - 5 && a.from < b.to - 5), `split ${a.index} handed out while split ${b.index} was read`);
  }
});

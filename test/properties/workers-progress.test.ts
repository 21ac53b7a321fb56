// Event-time progress on N workers (issue 13): a bounded read whose parts are in event-time order passes on the
// watermark of the part each worker reads (its later parts come after it), so windows and event-time timers fire as
// the input is read on any number of workers, and the output is the one worker's:
// - a timer re-set on every element fires once per key with all its elements (a watermark passed on too early fires it
//   before the rest arrive, and the key fires again), the same on 1, 2, 3 and 4 workers;
// - the windowed sum's peak memory on 2 workers is that of the windows in flight, against all of them when the parts
//   do not declare their order (then only the end of the input moves the watermark); its lifted combine pre-combines
//   across watermark moves (about one accumulator per key and window crosses);
// - the checkpoint kill fixture (a one-part read reporting progress, timers per 5 s) fires as often on 2 workers as
//   on 1 (it fired only at the end: 5 times instead of 150).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalRunner, Pipeline, type PipelineMetrics, type PipelineResult } from '../../src/index.ts';
import definition, { eventAt, timestampAt } from './fixtures/workers-progress-pipeline.ts';
import killPipeline from '../checkpoint/fixtures/kill-pipeline.ts';

const MODULE = resolve(import.meta.dirname, 'fixtures/workers-progress-pipeline.ts');
const KILL_MODULE = resolve(import.meta.dirname, '../checkpoint/fixtures/kill-pipeline.ts');
const root = mkdtempSync(join(tmpdir(), 'riffle-workers-progress-'));
after(() => rmSync(root, { recursive: true, force: true }));

function lines(dir: string, set: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${set}-`))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== ''))
    .sort();
}

async function run(workers: number, params: { seed: number; n: number; ordered: boolean }, tag: string): Promise<{ seconds: string[]; sums: string[]; result: PipelineResult }> {
  const dir = join(root, `${tag}-w${workers}`);
  const values = { ...params, output: dir };
  const p = Pipeline.create();
  await definition.build(p, values);
  // A batch grouping takes a finite watermark every deferredGroupingElements / 4 elements.
  const result = await new LocalRunner().run(p.graph, { workers, pipelineModule: { path: MODULE, params: values }, deferredGroupingElements: 512 });
  assert.equal(result.state, 'DONE');
  return { seconds: lines(dir, 'seconds'), sums: lines(dir, 'sums'), result };
}

const peakOf = (r: PipelineResult, step: string) => (r.metrics as PipelineMetrics).memory!.steps[step]!.peakBytesInMemory;

describe('event-time progress on N workers', () => {
  test('timers re-set per element fire once per key, with all its elements, on 1, 2, 3 and 4 workers', async () => {
    const n = 6000;
    const params = { seed: 11, n, ordered: true };
    const reference = await run(1, params, 'timers');
    // One firing per user and second, each with every element of it.
    const expected = new Map<string, number>();
    for (let i = 0; i < n; i++) expected.set(`@${Math.floor(timestampAt(11, i) / 1000)}`, 0);
    assert.ok(reference.seconds.length > 100, `${reference.seconds.length} firings`);
    const keys = reference.seconds.map((l) => l.split(' ')[0]!);
    assert.equal(new Set(keys).size, keys.length, 'each key fired once');
    assert.equal(
      reference.seconds.reduce((s, l) => s + Number(/count=(\d+)/.exec(l)![1]), 0),
      n,
    );
    for (const workers of [2, 3, 4]) {
      const got = await run(workers, params, 'timers');
      assert.deepEqual(got.seconds, reference.seconds, `${workers} workers fire the timers as 1 does`);
      assert.deepEqual(got.sums, reference.sums, `${workers} workers sum the windows as 1 does`);
    }
  });

  test('windows fire while reading on 2 workers: the grouping holds the windows in flight, not the input', async () => {
    const params = { seed: 5, n: 20_000 };
    const ordered = await run(2, { ...params, ordered: true }, 'ordered');
    const unordered = await run(2, { ...params, ordered: false }, 'unordered');
    assert.deepEqual(ordered.sums, unordered.sums);
    assert.deepEqual(ordered.seconds, unordered.seconds);
    const [withProgress, without] = [peakOf(ordered.result, 'Sums'), peakOf(unordered.result, 'Sums')];
    assert.ok(withProgress * 4 < without, `peak of the windowed sum: ${withProgress} B with progress, ${without} B without`);
    // The lifted sum pre-combines across watermark moves: about one accumulator per user and second crosses (a second
    // read by both workers, at a part's edge, sends two), not one per flush at each of the source's batches.
    const seconds = new Set<string>();
    for (let i = 0; i < params.n; i++) seconds.add(`${eventAt(params.seed, i).user}@${Math.floor(timestampAt(params.seed, i) / 1000)}`);
    const crossed = ordered.result.metrics.steps.find((s) => s.step === 'Sums/Precombine')!.elementsOut;
    const parts = Math.ceil(params.n / (params.n / 32));
    assert.ok(crossed <= seconds.size + parts * 23, `${crossed} accumulators crossed for ${seconds.size} user-seconds`);
  });

  test("the checkpoint kill fixture's timers fire as often on 2 workers as on 1", async () => {
    const out = async (workers: number) => {
      const dir = join(root, `kill-w${workers}`);
      const values = { output: dir, events: 1500, batch: 50, delayMs: 5, positions: true, failAt: -1, failCommit: -1 };
      const p = Pipeline.create();
      await killPipeline.build(p, values);
      const result = await new LocalRunner().run(p.graph, { workers, pipelineModule: { path: KILL_MODULE, params: values } });
      assert.equal(result.state, 'DONE');
      const totals = join(dir, 'totals');
      return readdirSync(totals)
        .flatMap((f) => readFileSync(join(totals, f), 'utf8').split('\n').filter((l) => l !== ''))
        .sort();
    };
    const one = await out(1);
    assert.equal(one.length, 150, 'a firing per key and 5 s');
    assert.deepEqual(await out(2), one);
  });
});

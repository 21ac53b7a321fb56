// Event-time progress in bounded sources (issue 13, item 4): with a source that reports its watermark as it reads, a
// grouping holds the windows in flight, not the input. A long time-ordered input (200 one-second windows, 1000 keys
// each): the grouping step's peak memory (the run's metrics) stays that of a few windows, against all of them
// without progress, and the result is the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, groupByKey, kv, Pipeline, read, window, type BoundedSource, type KV, type PipelineMetrics, type SourceBatch } from '../../src/index.ts';

const N = 200_000;
const KEYS = 1000;

class TimedSource implements BoundedSource<KV<number, number>> {
  readonly kind = 'bounded' as const;
  constructor(private readonly progress: boolean) {}
  describe(): string {
    return 'timed';
  }
  async estimateSizeBytes(): Promise<number> {
    return N * 16;
  }
  async split(): Promise<BoundedSource<KV<number, number>>[]> {
    return [this];
  }
  async *read(): AsyncIterable<SourceBatch<KV<number, number>>> {
    for (let i = 0; i < N; i += 4096) {
      const values: KV<number, number>[] = [];
      const timestamps: number[] = [];
      for (let j = i; j < Math.min(N, i + 4096); j++) {
        values.push(kv(j % KEYS, j));
        timestamps.push(j);
      }
      yield this.progress ? { values, timestamps, watermark: i + 4096 } : { values, timestamps };
    }
  }
}

async function run(progress: boolean, grouping: 'combine' | 'groupByKey') {
  const p = Pipeline.create();
  const windowed = p.apply(read(new TimedSource(progress))).apply(window.into<KV<number, number>>(window.fixed(1000)));
  const grouped =
    grouping === 'combine'
      ? windowed.apply('Group', combine.perKey(combine.count()))
      : windowed.apply('Group', groupByKey<number, number>()).map((e) => kv(e.key, e.value.length), 'Sizes');
  let panes = 0;
  let total = 0;
  grouped.map((e) => {
    panes++;
    total += e.value;
    return e;
  }, 'Count');
  // A grouping takes a finite watermark every deferredGroupingElements / 4 = 8192 elements.
  const result = await p.run({ deferredGroupingElements: 32_768 });
  const memory = (result.metrics as PipelineMetrics).memory!;
  return { panes, total, peak: memory.steps['Group']!.peakBytesInMemory };
}

for (const grouping of ['combine', 'groupByKey'] as const) {
  test(`a grouping (${grouping}) over a time-ordered bounded input with progress holds the windows in flight`, async () => {
    const without = await run(false, grouping);
    const withProgress = await run(true, grouping);
    assert.equal(without.panes, (N / 1000) * KEYS);
    assert.deepEqual({ panes: withProgress.panes, total: withProgress.total }, { panes: without.panes, total: without.total });
    assert.equal(withProgress.total, N);
    assert.ok(withProgress.peak * 10 < without.peak, `peak with progress ${withProgress.peak} B, without ${without.peak} B`);
  });
}

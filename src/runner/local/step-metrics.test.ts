// Live step figures (onStepMetrics): reported on a timer while the job runs, from the operators' own counters, and
// once at the end with the final counts and every watermark at the end of the input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMESTAMP, type BoundedSource, type SourceBatch } from '../../model/index.ts';
import { map, Pipeline, read } from '../../index.ts';
import { LocalRunner, type StepSnapshot } from './index.ts';

/** 10 batches of 10 numbers, 30 ms apart, each timestamped with its value (seconds), with the read's watermark. */
class Paced implements BoundedSource<number> {
  readonly kind = 'bounded';
  describe(): string {
    return 'paced';
  }
  async estimateSizeBytes(): Promise<number> {
    return 800;
  }
  async split(): Promise<BoundedSource<number>[]> {
    return [this];
  }
  async *read(): AsyncIterable<SourceBatch<number>> {
    for (let b = 0; b < 10; b++) {
      await new Promise((r) => setTimeout(r, 30));
      const values = Array.from({ length: 10 }, (_x, i) => b * 10 + i);
      yield { values, timestamps: values.map((v) => v * 1000), watermark: b * 10_000 };
    }
  }
}

describe('live step metrics', () => {
  it('are reported while the job runs and once at its end', async () => {
    const p = Pipeline.create();
    p.apply(read(new Paced(), 'Paced')).apply(map((n: number) => n + 1, 'Inc'));
    const reports: StepSnapshot[][] = [];
    const result = await new LocalRunner().run(p.graph, { onStepMetrics: (s) => reports.push([...s]), stepMetricsIntervalMs: 50 });
    assert.equal(result.state, 'DONE');
    assert.ok(reports.length >= 3, `${reports.length} reports`);
    const inc = (r: StepSnapshot[]) => r.find((s) => s.step === 'Inc')!;
    const live = reports.slice(0, -1).map(inc);
    assert.ok(live.some((s) => s.elementsIn > 0 && s.elementsIn < 100), JSON.stringify(live));
    assert.ok(live.some((s) => s.outputWatermark !== null && s.outputWatermark >= 10_000 && s.outputWatermark < 100_000), `a live watermark: ${JSON.stringify(live)}`);
    for (let i = 1; i < live.length; i++) assert.ok(live[i]!.elementsIn >= live[i - 1]!.elementsIn, 'counts only grow');
    const last = inc(reports.at(-1)!);
    assert.deepEqual([last.elementsIn, last.elementsOut, last.errors, last.droppedLate], [100, 100, 0, 0]);
    assert.equal(last.outputWatermark, MAX_TIMESTAMP);
  });

  it('cost nothing when nobody asks for them', async () => {
    const p = Pipeline.create();
    p.apply(read(new Paced(), 'Paced')).apply(map((n: number) => n + 1, 'Inc'));
    const result = await new LocalRunner().run(p.graph, {});
    assert.equal(result.metrics.steps.find((s) => s.step === 'Inc')?.elementsOut, 100);
  });
});

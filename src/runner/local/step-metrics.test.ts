// Live step figures (onStepMetrics): reported on a timer while the job runs, from the operators' own counters, and
// once at the end with the final counts and every watermark at the end of the input; a read step's backlog where
// its source or reader tells it (SourceBacklog).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TIMESTAMP, type BoundedSource, type SourceBacklog, type SourceBatch, type UnboundedReader, type UnboundedSource } from '../../model/index.ts';
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
  /** Batches not read yet, for backlog(). */
  left = 10;
  async *read(): AsyncIterable<SourceBatch<number>> {
    for (let b = 0; b < 10; b++) {
      this.left = 10 - b;
      await new Promise((r) => setTimeout(r, 30));
      const values = Array.from({ length: 10 }, (_x, i) => b * 10 + i);
      yield { values, timestamps: values.map((v) => v * 1000), watermark: b * 10_000 };
    }
    this.left = 0;
  }
}

/** Paced, telling its backlog: the elements of the batches not read yet. */
class PacedWithBacklog extends Paced {
  backlog(): SourceBacklog {
    return { amount: this.left * 10, unit: 'elements' };
  }
}

/** An endless source of 3 numbers a poll whose reader tells how many it has left (1000 − read), or throws once. */
class Counting implements UnboundedSource<number, number> {
  readonly kind = 'unbounded';
  describe(): string {
    return 'counting';
  }
  async open(position: number | undefined): Promise<UnboundedReader<number, number>> {
    let at = position ?? 0;
    let asked = 0;
    return {
      async next() {
        await new Promise((r) => setTimeout(r, 20));
        if (at >= 30) return null;
        const values = [at, at + 1, at + 2];
        at += 3;
        return { values, timestamps: values };
      },
      position: () => at,
      watermark: () => (at >= 30 ? MAX_TIMESTAMP : at),
      backlog() {
        if (++asked === 1) throw new Error('a backlog that fails is unknown, not a failed run');
        return { amount: 1000 - at, unit: 'elements' };
      },
      async close() {},
    };
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

  it("carry a read step's backlog where its source tells it (bounded source, unbounded reader), none elsewhere", async () => {
    const p = Pipeline.create();
    p.apply(read(new PacedWithBacklog(), 'Paced')).apply(map((n: number) => n + 1, 'Inc'));
    const reports: StepSnapshot[][] = [];
    assert.equal((await new LocalRunner().run(p.graph, { onStepMetrics: (s) => reports.push([...s]), stepMetricsIntervalMs: 50 })).state, 'DONE');
    const paced = reports.map((r) => r.find((s) => s.step === 'Paced')!.backlog).filter((b) => b !== undefined);
    assert.ok(paced.some((b) => b!.amount > 0 && b!.amount < 100 && b!.unit === 'elements'), JSON.stringify(paced));
    assert.deepEqual(paced.at(-1), { amount: 0, unit: 'elements' });
    assert.ok(reports.every((r) => r.find((s) => s.step === 'Inc')!.backlog === undefined), 'not a read step');
    const q = Pipeline.create();
    q.apply(read(new Counting(), 'Counting')).apply(map((n: number) => n, 'Same'));
    const live: StepSnapshot[][] = [];
    const ctl = new LocalRunner().run(q.graph, { onStepMetrics: (s) => live.push([...s]), stepMetricsIntervalMs: 30 });
    assert.equal((await ctl).state, 'DONE');
    const counting = live.map((r) => r.find((s) => s.step === 'Counting')!.backlog);
    assert.equal(counting[0], undefined, 'the first answer threw: unknown');
    assert.ok(counting.some((b) => b !== undefined && b.amount < 1000 && b.amount >= 970), JSON.stringify(counting));
  });

  it('cost nothing when nobody asks for them', async () => {
    const p = Pipeline.create();
    p.apply(read(new Paced(), 'Paced')).apply(map((n: number) => n + 1, 'Inc'));
    const result = await new LocalRunner().run(p.graph, {});
    assert.equal(result.metrics.steps.find((s) => s.step === 'Inc')?.elementsOut, 100);
  });
});

import {
  GLOBAL_WINDOWING,
  MAX_TIMESTAMP,
  PCollection,
  parseDuration,
  PipelineValidationError,
  type DurationLike,
  type Instant,
  type Pipeline,
  type PTransform,
  type TestStreamEvent,
  type TestStreamSpec,
} from '../model/index.ts';

/**
 * A scripted unbounded source for tests (Beam's TestStream): elements with timestamps, watermark advances and
 * processing-time advances, in order. Under a TestStream the whole pipeline runs on a virtual clock, and after each
 * event the engine runs until nothing more can happen, so results are deterministic.
 * @example
 *   testStream<number>()
 *     .addElements({ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 })
 *     .advanceWatermarkTo(60_000)
 *     .advanceProcessingTime('10s')
 *     .advanceWatermarkToInfinity()
 */
export class TestStream<T> implements PTransform<Pipeline, PCollection<T>> {
  readonly name = 'TestStream';
  readonly primitive = true;
  private constructor(
    readonly events: readonly TestStreamEvent<T>[],
    private readonly watermark: Instant,
    private readonly onEventDone?: (index: number) => void,
  ) {}

  static create<T>(): TestStream<T> {
    return new TestStream<T>([], -Infinity);
  }

  addElements(...elements: Array<{ value: T; timestamp: Instant }>): TestStream<T> {
    for (const e of elements) {
      if (!Number.isFinite(e.timestamp)) throw new PipelineValidationError(`TestStream: element timestamp must be a finite instant, got ${e.timestamp}`);
    }
    return new TestStream([...this.events, { kind: 'elements', elements }], this.watermark, this.onEventDone);
  }

  advanceWatermarkTo(t: Instant): TestStream<T> {
    if (t < this.watermark) throw new PipelineValidationError(`TestStream: the watermark must not go back (from ${this.watermark} to ${t})`);
    return new TestStream([...this.events, { kind: 'watermark', watermark: t }], t, this.onEventDone);
  }

  advanceWatermarkToInfinity(): TestStream<T> {
    return this.advanceWatermarkTo(MAX_TIMESTAMP);
  }

  advanceProcessingTime(by: DurationLike): TestStream<T> {
    const ms = parseDuration(by, 'TestStream.advanceProcessingTime');
    if (!(ms > 0)) throw new PipelineValidationError('TestStream.advanceProcessingTime: the advance must be positive');
    return new TestStream([...this.events, { kind: 'processingTime', advanceBy: ms }], this.watermark, this.onEventDone);
  }

  /** Calls `fn(i)` once event i (and everything it caused) has been processed. For harnesses that observe progress. */
  observeEvents(fn: (index: number) => void): TestStream<T> {
    return new TestStream(this.events, this.watermark, fn);
  }

  expand(p: Pipeline, stepName: string): PCollection<T> {
    const node = p.graph.addNode<TestStreamSpec>({
      name: stepName,
      kind: 'testStream',
      spec: { kind: 'testStream', events: this.events, ...(this.onEventDone ? { onEventDone: this.onEventDone } : {}) },
      inputs: [],
      outputs: [{ tag: 'main', windowing: GLOBAL_WINDOWING, bounded: false }],
    });
    return new PCollection<T>(p.graph, node.outputs.get('main')!);
  }
}

export function testStream<T>(): TestStream<T> {
  return TestStream.create<T>();
}

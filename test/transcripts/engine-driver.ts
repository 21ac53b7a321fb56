// Runs transcripts through the embedded engine: a TestStream feeds a groupByKey (or a lifted combine) and the panes
// are collected per TestStream event, as Beam's TestStreamTranscriptTest does. Variants reorder the elements of an
// input action, and split an input action into one bundle per element where the trigger does not count elements
// (so bundling cannot change what fires).
import { combine, kv, Pipeline, testStream, type KV, type Trigger } from '../../src/index.ts';
import { windowInto, parDo, groupByKey, map } from '../../src/transforms/index.ts';
import type { TranscriptDriver, TranscriptOutput } from './harness.ts';
import type { Transcript } from './parse.ts';

export type Bundling = 'as-is' | 'reversed' | 'per-element';
/** How the windowed elements are grouped: a groupByKey, or a lifted combine that concatenates the values. */
export type Grouping = 'gbk' | 'combine';

function countsElements(t: Trigger): boolean {
  switch (t.kind) {
    case 'afterCount':
      return true;
    case 'afterWatermark':
      return (t.early !== undefined && countsElements(t.early)) || (t.late !== undefined && countsElements(t.late));
    case 'repeatedly':
      return countsElements(t.trigger);
    case 'afterEach':
    case 'afterFirst':
    case 'afterAll':
      return t.triggers.some(countsElements);
    case 'orFinally':
      return countsElements(t.main) || countsElements(t.until);
    default:
      return false;
  }
}

const concat = {
  name: 'concat',
  createAccumulator: (): number[] => [],
  addInput: (acc: number[], x: number) => {
    acc.push(x);
    return acc;
  },
  mergeAccumulators: (accs: number[][]) => accs.flat(),
  extractOutput: (acc: number[]) => acc,
};

async function runThroughEngine(t: Transcript, bundling: Bundling, grouping: Grouping): Promise<TranscriptOutput[][]> {
  const perAction: TranscriptOutput[][] = t.actions.map(() => []);
  const p = Pipeline.create();
  buildTranscriptPipeline(p, t, bundling, [grouping], (action, _grouping, o) => perAction[action]!.push(o));
  await p.run();
  return perAction;
}

/**
 * The transcript's pipeline: a TestStream playing its actions into a groupByKey (or a lifted combine); each pane goes
 * to `emit` with the index of the action being played when it fired (after the stream's end: not emitted). Also the
 * pipeline of test/workers/fixtures/transcript-pipeline.ts (the same transcripts on worker threads).
 */
/**
 * The transcript's TestStream, windowed as it says, then grouped by each of `groupings` (a groupByKey, or a lifted
 * combine that concatenates) on branches of one pipeline; `emit` gets each pane with the action it fired in.
 */
export function buildTranscriptPipeline(
  p: Pipeline,
  t: Transcript,
  bundling: Bundling,
  groupings: readonly Grouping[],
  emit: (action: number, grouping: Grouping, output: TranscriptOutput) => void,
): void {
  // eventAction[i] = the action that TestStream event i belongs to.
  const eventAction: number[] = [];
  let stream = testStream<KV<string, number>>();
  let watermark = -Infinity;
  let now = 0;
  t.actions.forEach((a, i) => {
    if (a.kind === 'input') {
      const elements = a.timestamps.map((ts) => ({ value: kv('key', ts), timestamp: ts }));
      if (bundling === 'reversed') elements.reverse();
      if (bundling === 'per-element' && !countsElements(t.strategy.trigger)) {
        for (const e of elements) {
          stream = stream.addElements(e);
          eventAction.push(i);
        }
      } else {
        stream = stream.addElements(...elements);
        eventAction.push(i);
      }
    } else if (a.kind === 'watermark' && a.to > watermark) {
      watermark = a.to;
      stream = stream.advanceWatermarkTo(a.to);
      eventAction.push(i);
    } else if (a.kind === 'processingTime' && a.to > now) {
      stream = stream.advanceProcessingTime(a.to - now);
      now = a.to;
      eventAction.push(i);
    }
  });
  // Outputs land in the bucket of the event being processed; after the last event (the stream's end) they are ignored.
  let current: number | undefined = eventAction[0];
  stream = stream.observeEvents((i) => {
    current = eventAction[i + 1];
  });
  const windowed = p.apply(stream).apply(
    windowInto<KV<string, number>>(t.strategy.windowFn, {
      trigger: t.strategy.trigger,
      accumulation: t.strategy.accumulation,
      allowedLateness: t.strategy.allowedLateness,
      timestampCombiner: t.strategy.timestampCombiner,
      onTimeBehavior: t.strategy.onTimeBehavior,
      closingBehavior: t.strategy.closingBehavior,
    }),
  );
  for (const grouping of groupings) {
    const grouped =
      grouping === 'gbk' ? windowed.apply(groupByKey<string, number>()) : windowed.apply(combine.perKey<string, number, number[]>(concat)).apply(map((e: KV<string, number[]>) => e));
    grouped.apply(
      parDo({
        process(e: KV<string, number[]>, ctx) {
          if (current !== undefined) emit(current, grouping, { window: ctx.window, values: [...e.value], timestamp: ctx.timestamp, pane: ctx.pane });
        },
      }),
    );
  }
}

function engineDriver(name: string, bundling: Bundling, grouping: Grouping): TranscriptDriver {
  return { name, run: (t) => runThroughEngine(t, bundling, grouping) };
}

/** The engine, each input action one bundle. */
export const engineDrivers: readonly TranscriptDriver[] = [
  engineDriver('engine', 'as-is', 'gbk'),
  engineDriver('engine-reordered', 'reversed', 'gbk'),
  engineDriver('engine-rebundled', 'per-element', 'gbk'),
  engineDriver('engine-combine', 'as-is', 'combine'),
];

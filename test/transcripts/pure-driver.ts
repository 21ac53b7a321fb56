// Runs transcripts on the pure semantics: the trigger tester, one key.
import { bufferingReduceFn, combiningReduceFn, TriggerTester, type ReduceFn, type StateCombineFn } from '../../src/semantics/index.ts';
import type { TranscriptDriver, TranscriptOutput } from './harness.ts';
import type { Transcript } from './parse.ts';

function runWith(t: Transcript, reduceFn: ReduceFn<number, number[]>): TranscriptOutput[][] {
  const tester = new TriggerTester(t.strategy, reduceFn);
  return t.actions.map((a) => {
    switch (a.kind) {
      case 'input':
        tester.injectElements(...a.timestamps.map((ts) => ({ value: ts, timestamp: ts })));
        break;
      case 'watermark':
        tester.advanceInputWatermark(a.to);
        break;
      case 'processingTime':
        tester.advanceProcessingTime(a.to);
        break;
      case 'expect':
      case 'state':
        break;
    }
    return tester.extractOutput().map((o) => ({ window: o.window, values: o.value, timestamp: o.timestamp, pane: o.pane }));
  });
}

/** groupByKey on the pure semantics. */
export const pureDriver: TranscriptDriver = {
  name: 'pure',
  run: async (t) => runWith(t, bufferingReduceFn<number>()),
};

const concat: StateCombineFn<number, number[], number[]> = {
  createAccumulator: () => [],
  addInput: (acc, x) => [...acc, x],
  mergeAccumulators: (accs) => accs.flat(),
  extractOutput: (acc) => acc,
};

/** combinePerKey (a concatenating combine function) on the pure semantics, as Beam's harness also checks. */
export const pureCombiningDriver: TranscriptDriver = {
  name: 'pure-combine',
  run: async (t) => runWith(t, combiningReduceFn(concat)),
};

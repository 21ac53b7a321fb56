/**
 * Riffle: the Beam/Dataflow programming model on an embedded engine. This entry point loads the model, the
 * transforms, the embedded engine (installed as the default runner: it loads nothing heavy) and the connectors'
 * factories; it must not load the lakehouse, quality, the orchestrator or a native dependency
 * (test/package/light-import.test.ts checks it).
 * @example
 *   import { Pipeline, create, combine } from 'riffle';
 *   const p = Pipeline.create();
 *   p.apply(create([1, 2, 3])).apply(combine.globally(combine.sum()));
 *   await p.run();
 */
import { setDefaultRunner, windowFns, type WindowFn, type WindowingOptions } from './model/index.ts';
import { LocalRunner } from './runner/index.ts';
import { windowInto } from './transforms/index.ts';

export * from './model/index.ts';
export * from './transforms/index.ts';
export * from './testing/index.ts';
export { LocalRunner, JobControl, describePlan, plan, realClock, type Clock, type LocalRunOptions, type Progress } from './runner/index.ts';
// io.files, io.delta, …: each connector's heavy modules load when a pipeline using it runs (see io/lazy-module.ts).
// The lakehouse, data quality and the orchestrator are subpaths of their own: 'riffle/lakehouse', 'riffle/quality',
// 'riffle/orchestrator' (and 'riffle/io/<system>' for one connector), so that this entry point stays light.
export * as io from './io/index.ts';
export { triggers as trigger } from './model/index.ts';

/** Windowing: `window.into(window.fixed('1m'), { trigger, allowedLateness, accumulation })`. */
export const window = {
  ...windowFns,
  into<T>(windowFn: WindowFn<any>, opts: WindowingOptions = {}) {
    return windowInto<T>(windowFn, opts);
  },
};

setDefaultRunner(new LocalRunner());

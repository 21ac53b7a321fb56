/**
 * Riffle: the Beam/Dataflow programming model on an embedded engine.
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
export { LocalRunner, describePlan, plan, realClock, type Clock, type LocalRunOptions, type Progress } from './runner/index.ts';
export * as io from './io/index.ts';
export * as lakehouse from './lakehouse/index.ts';
export * as quality from './quality/index.ts';
export * as orchestrator from './orchestrator/index.ts';
export { triggers as trigger } from './model/index.ts';

/** Windowing: `window.into(window.fixed('1m'), { trigger, allowedLateness, accumulation })`. */
export const window = {
  ...windowFns,
  into<T>(windowFn: WindowFn<any>, opts: WindowingOptions = {}) {
    return windowInto<T>(windowFn, opts);
  },
};

setDefaultRunner(new LocalRunner());

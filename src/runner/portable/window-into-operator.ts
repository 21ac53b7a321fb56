/**
 * `beam:transform:window_into:v1` in the harness: each element gets the windows the step's Riffle window function
 * assigns at its timestamp (the function of the rebuilt pipeline's windowInto step, so standard and custom window
 * functions alike). The runner merges windows of merging functions (sessions) itself, by their standard URN.
 */
import type { WindowFn } from '../../model/index.ts';
import type { Emit, Operator } from './element-operators.ts';

export function windowIntoOperator(fn: WindowFn, out: Emit): Operator {
  return { process: (wv) => out({ ...wv, windows: fn.assignWindows(wv.timestamp, wv.value) }) };
}

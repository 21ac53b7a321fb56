/**
 * The parts of a combine the runner asks the harness to run, all through one adapter over the step's Riffle combiner
 * (`combinePerKey`'s `combineFn`: createAccumulator, addInput, mergeAccumulators, extractOutput, optional compact):
 *
 * - `beam:transform:combine_per_key_precombine:v1`: KV<K, V> → KV<K, A>, folded per key and window within a bundle
 *   and emitted at the bundle's end (only accumulators cross the runner's shuffle);
 * - `beam:transform:combine_per_key_merge_accumulators:v1`: KV<K, Iterable<A>> (the runner's grouping) → KV<K, A>;
 * - `beam:transform:combine_per_key_extract_outputs:v1`: KV<K, A> → KV<K, O>;
 * - `beam:transform:combine_grouped_values:v1` (the unlifted form): KV<K, Iterable<V>> → KV<K, O>.
 *
 * Keys are told apart by their canonical encoding (what the runner groups by), windows by their bounds.
 */
import { coders, encodeToBytes, isIntervalWindow, type BoundedWindow, type KV, type PrimitiveNode, type WindowedValue } from '../../model/index.ts';
import type { Emit, Operator } from './element-operators.ts';
import { TRANSFORM_URNS } from './urns.ts';

type CombineFn = Extract<PrimitiveNode, { kind: 'combinePerKey' }>['spec']['combineFn'];
type WV = WindowedValue<unknown>;

/** The combine URNs this file runs. */
export const COMBINE_PART_URNS: ReadonlySet<string> = new Set([
  TRANSFORM_URNS.combinePrecombine,
  TRANSFORM_URNS.combineMergeAccumulators,
  TRANSFORM_URNS.combineExtractOutputs,
  TRANSFORM_URNS.combineGroupedValues,
]);

const keyCoder = coders.object({ canonical: true });

/** A stable identity of a key (its canonical bytes) and window (its bounds). */
function groupId(key: unknown, window: BoundedWindow): string {
  const w = isIntervalWindow(window) ? `${window.start}:${window.end}` : `g${window.maxTimestamp}`;
  return `${Buffer.from(encodeToBytes(keyCoder, key)).toString('base64')}|${w}`;
}

/** The operator of one combine part (`urn`) over the step's combiner; its output goes to `out`. */
export function combineOperator(urn: string, node: PrimitiveNode, out: Emit): Operator {
  if (node.kind !== 'combinePerKey') throw new Error(`step '${node.name}' is a ${node.kind}, not a combinePerKey`);
  const fn: CombineFn = node.spec.combineFn;
  const compact = (a: unknown) => (fn.compact ? fn.compact(a) : a);
  const withValue = (wv: WV, value: unknown): WV => ({ ...wv, value: { key: (wv.value as KV<unknown, unknown>).key, value } });
  switch (urn) {
    case TRANSFORM_URNS.combinePrecombine: {
      let groups = new Map<string, { key: unknown; window: BoundedWindow; acc: unknown; wv: WV }>();
      return {
        startBundle: () => void (groups = new Map()),
        process: (wv) => {
          const { key, value } = wv.value as KV<unknown, unknown>;
          for (const window of wv.windows) {
            const id = groupId(key, window);
            const g = groups.get(id);
            if (g === undefined) groups.set(id, { key, window, acc: fn.addInput(fn.createAccumulator(), value), wv });
            else g.acc = fn.addInput(g.acc, value);
          }
        },
        finishBundle: async () => {
          const done = groups;
          groups = new Map();
          for (const g of done.values()) {
            await out({ value: { key: g.key, value: compact(g.acc) }, timestamp: g.window.maxTimestamp, windows: [g.window], pane: g.wv.pane });
          }
        },
      };
    }
    case TRANSFORM_URNS.combineMergeAccumulators:
      return { process: (wv) => out(withValue(wv, compact(fn.mergeAccumulators([...((wv.value as KV<unknown, Iterable<unknown>>).value)])))) };
    case TRANSFORM_URNS.combineExtractOutputs:
      return { process: (wv) => out(withValue(wv, fn.extractOutput((wv.value as KV<unknown, unknown>).value))) };
    case TRANSFORM_URNS.combineGroupedValues:
      return {
        process: (wv) => {
          let acc = fn.createAccumulator();
          for (const v of (wv.value as KV<unknown, Iterable<unknown>>).value) acc = fn.addInput(acc, v);
          return out(withValue(wv, fn.extractOutput(acc)));
        },
      };
    default:
      throw new Error(`${urn} is not a part of a combine`);
  }
}

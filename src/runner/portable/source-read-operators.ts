/**
 * A bounded Riffle read as the runner expands its splittable DoFn, one operator per part:
 *
 * - `sdf_pair_with_restriction`: the impulse's element paired with the whole source;
 * - `sdf_split_and_size_restrictions`: the whole source split into its initial parts by the source's own `split`
 *   (about `INITIAL_PARTS` parts of equal estimated bytes — file byte ranges, generator stretches — as the embedded
 *   engine hands them to its workers), each with its estimated size: the runner spreads them over its parallel
 *   instances (Flink at parallelism 2 reads two parts at once);
 * - `sdf_process_sized_element_and_restrictions`: reads one restriction — the whole source, or part i of the same
 *   split (a source splits the same way each time; a different part count is an error naming the source) — to its end;
 *   its `errors` output gets the read's bad records, named after the read's step.
 *
 * The reader counts the records of the restriction it is reading (`completed()`) for progress reports.
 */
import { GLOBAL_WINDOWS, MIN_TIMESTAMP, NO_FIRING, type BoundedSource, type KV, type WindowedValue } from '../../model/index.ts';
import type { Emit, Operator } from './element-operators.ts';
import type { SourceRestriction } from './harness-coders.ts';

/** How many parts a read is split into up front (a few per parallel instance, for balance). */
export const INITIAL_PARTS = 4;

type WV = WindowedValue<unknown>;

/** `sdf_pair_with_restriction`: element → KV(element, whole source). */
export function pairWithRestrictionOperator(out: Emit): Operator {
  const whole: SourceRestriction = { whole: true };
  return { process: (wv) => out({ ...wv, value: { key: wv.value, value: whole } }) };
}

/** `sdf_split_and_size_restrictions`: KV(element, whole) → KV(KV(element, part i), estimated bytes) for each part. */
export function splitAndSizeOperator(source: BoundedSource<unknown>, out: Emit): Operator {
  return {
    process: async (wv) => {
      const { key: element, value: restriction } = wv.value as KV<unknown, SourceRestriction>;
      if (!('whole' in restriction)) {
        // Already a part (the runner splits again on a retry): kept as it is.
        await out({ ...wv, value: { key: wv.value, value: 1 } });
        return;
      }
      const size = await source.estimateSizeBytes().catch(() => 0);
      const desiredBytes = Math.max(1, Math.ceil(size / INITIAL_PARTS));
      const parts = await source.split(desiredBytes);
      for (const [i, part] of parts.entries()) {
        const bytes = await part.estimateSizeBytes().catch(() => 0);
        const r: SourceRestriction = { part: i, of: parts.length, desiredBytes };
        // A size of 0 would tell the runner there is nothing to read.
        await out({ ...wv, value: { key: { key: element, value: r }, value: Math.max(1, bytes) } });
      }
    },
  };
}

/** `sdf_process_sized_element_and_restrictions`: reads one restriction of `source`. */
export function readRestrictionOperator(step: string, source: BoundedSource<unknown>, main: Emit, errors: Emit | undefined): Operator & { completed(): number } {
  const splits = new Map<number, Promise<BoundedSource<unknown>[]>>();
  let completed = 0;
  const sourceOf = async (r: SourceRestriction): Promise<BoundedSource<unknown>> => {
    if ('whole' in r) return source;
    let parts = splits.get(r.desiredBytes);
    if (parts === undefined) splits.set(r.desiredBytes, (parts = source.split(r.desiredBytes)));
    const got = await parts;
    if (got.length !== r.of || got[r.part] === undefined) {
      throw new Error(`${step}: the source ${source.describe()} split into ${got.length} parts here but ${r.of} when the runner split it: a source must split the same way each time`);
    }
    return got[r.part]!;
  };
  return {
    startBundle: () => void (completed = 0),
    completed: () => completed,
    process: async (wv: WV) => {
      const restriction = ((wv.value as KV<KV<unknown, SourceRestriction>, number>).key).value;
      const part = await sourceOf(restriction);
      for await (const batch of part.read()) {
        for (let i = 0; i < batch.values.length; i++) {
          completed++;
          await main({ value: batch.values[i], timestamp: batch.timestamps?.[i] ?? MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
        }
        for (const e of batch.errors ?? []) {
          completed++;
          if (errors === undefined) throw new Error(`${step}: ${e.error} (${JSON.stringify(e.origin ?? {})})`);
          // As the embedded engine: the record names the read's step; the source's description moves to the origin.
          const record = { ...e, step, origin: { source: e.step, ...e.origin } };
          await errors({ value: record, timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
        }
      }
    },
  };
}

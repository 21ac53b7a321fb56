/**
 * An unbounded Riffle read (the bus, Kafka, CDC, a Delta table's changes) as Beam's runners expand a splittable DoFn
 * that checkpoints itself, as the Flink runner runs it in streaming mode:
 *
 * - `sdf_split_and_size_restrictions`: the whole source → one restriction per reader (`INITIAL_PARTS` for a parallel
 *   source — reader i of n takes its share, as the embedded engine's workers do — else one), each at the start
 *   (no position) with the watermark at −∞;
 * - `sdf_process_sized_element_and_restrictions`: opens a reader at the restriction's position, reads for about
 *   `READ_MS` or `READ_RECORDS` records, whichever comes first (or to the source's end), emits what it read, and —
 *   unless the source ended — returns a **residual**: the same element with the restriction at the reader's position
 *   after the last record it emitted, and the watermark estimate (the restriction's own and the reader's, whichever is
 *   later: it never goes back). The residual goes in the bundle's response (`residual_roots`), with that watermark as
 *   its `output_watermarks`: the runner keeps it in its state (so in its checkpoints) and holds its output watermark
 *   there until it runs it again.
 *
 * A source ends when its reader's watermark is +∞ (Kafka with `stopAt: 'latest'`, the bus with `until`): the
 * restriction is then done and leaves no residual, and once every restriction is done the runner's watermark reaches
 * +∞ (a bounded-in-practice unbounded read ends the job). The reader's position is what makes a restore exact: a
 * residual taken into a Flink checkpoint resumes reading right after what the bundles before it emitted.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  ByteWriter,
  GLOBAL_WINDOWS,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  encodeIn,
  type Coder,
  type KV,
  type UnboundedSource,
  type WindowedValue,
} from '../../model/index.ts';
import { BundleApplicationSchema, DelayedBundleApplicationSchema, RemoteGrpcPortSchema, type DelayedBundleApplication, type ProcessBundleDescriptor } from './gen/fn_execution/v1/beam_fn_api_pb.ts';
import { IsBounded_Enum, type PTransform } from './gen/pipeline/v1/beam_runner_api_pb.ts';
import type { Emit, Operator } from './element-operators.ts';
import { descriptorCoder } from './harness-coders.ts';
import { INITIAL_PARTS } from './source-read-operators.ts';

/** How long one bundle reads before it checkpoints itself (the residual carries on in a later bundle). */
export const READ_MS = 1_000;

/**
 * How many records one bundle reads at most before it checkpoints itself (checked between the reader's batches): a
 * bundle's output is what a failure makes the runner redo, and the runner's checkpoints fall between bundles.
 */
export const READ_RECORDS = 1_000;

/** How long one poll of the reader waits for input. */
const POLL_MS = 200;

/**
 * The restriction of an unbounded read: reader `reader` of `of`, at `position` (what its reader's `position()` gave;
 * absent at the start) with the watermark estimate so far (milliseconds; the estimator's state, as Beam keeps it next
 * to the restriction).
 */
export interface UnboundedRestriction {
  readonly reader: number;
  readonly of: number;
  readonly position?: unknown;
  readonly watermark: number;
}

type WV = WindowedValue<unknown>;

/** `sdf_split_and_size_restrictions` for an unbounded source: one restriction per reader, each of size 1. */
export function unboundedSplitOperator(source: UnboundedSource<unknown>, out: Emit): Operator {
  return {
    process: async (wv) => {
      const { key: element, value: restriction } = wv.value as KV<unknown, Record<string, unknown>>;
      if (!('whole' in restriction)) {
        await out({ ...wv, value: { key: wv.value, value: 1 } });
        return;
      }
      const n = source.parallel === true ? INITIAL_PARTS : 1;
      for (let i = 0; i < n; i++) {
        const r: UnboundedRestriction = { reader: i, of: n, watermark: MIN_TIMESTAMP };
        await out({ ...wv, value: { key: { key: element, value: r }, value: 1 } });
      }
    },
  };
}

/** Where the process transform's input comes from: the wire coder of the data source that feeds it (the runner's). */
function wireCoderOf(d: ProcessBundleDescriptor, pcollection: string): Coder<unknown> {
  for (const t of Object.values(d.transforms)) {
    if (t.spec?.urn === 'beam:runner:source:v1' && Object.values(t.outputs).includes(pcollection)) {
      return descriptorCoder(d.coders, fromBinary(RemoteGrpcPortSchema, t.spec.payload).coderId);
    }
  }
  throw new Error(`the stage has no data source for the read's input '${pcollection}' (a residual is encoded with its wire coder)`);
}

/** The reading operator, its residuals taken once per bundle (`takeResiduals`), and its progress (`completed`). */
export interface UnboundedReadOperator extends Operator {
  completed(): number;
  takeResiduals(): DelayedBundleApplication[];
}

/** `sdf_process_sized_element_and_restrictions` for an unbounded source (see the module comment). */
export function unboundedReadOperator(
  args: { step: string; source: UnboundedSource<unknown>; d: ProcessBundleDescriptor; transformId: string; t: PTransform; readMs?: number; readRecords?: number },
  main: Emit,
  errors: Emit | undefined,
): UnboundedReadOperator {
  const { step, source, d, transformId, t } = args;
  const readMs = args.readMs ?? READ_MS;
  const readRecords = args.readRecords ?? READ_RECORDS;
  const [inputId, inputPc] = Object.entries(t.inputs)[0] ?? [];
  if (inputId === undefined) throw new Error(`${step}: the read's process transform has no input`);
  let coder: Coder<unknown> | undefined;
  let residuals: DelayedBundleApplication[] = [];
  let completed = 0;
  const residualOf = (wv: WV, r: UnboundedRestriction): DelayedBundleApplication => {
    coder ??= wireCoderOf(d, inputPc!);
    const element = (wv.value as KV<KV<unknown, unknown>, number>).key.key;
    const out = new ByteWriter();
    encodeIn(coder, { ...wv, value: { key: { key: element, value: r }, value: 1 } }, out, 'nested');
    // Riffle's −∞ (−8.64e15 ms) is inside Beam's timestamp range: the hold needs no clamping.
    const hold = timestampFromMs(r.watermark);
    const outputWatermarks: Record<string, ReturnType<typeof timestampFromMs>> = {};
    for (const tag of Object.keys(t.outputs)) outputWatermarks[tag] = hold;
    const application = create(BundleApplicationSchema, { transformId, inputId, element: out.toBytes(), outputWatermarks, isBounded: IsBounded_Enum.UNBOUNDED });
    return create(DelayedBundleApplicationSchema, { application });
  };
  return {
    startBundle: () => {
      completed = 0;
      residuals = [];
    },
    completed: () => completed,
    takeResiduals: () => {
      const taken = residuals;
      residuals = [];
      return taken;
    },
    process: async (wv: WV) => {
      const restriction = (wv.value as KV<KV<unknown, UnboundedRestriction>, number>).key.value;
      if (typeof restriction !== 'object' || restriction === null || !Number.isInteger(restriction.reader) || !Number.isInteger(restriction.of)) {
        throw new Error(`${step}: the runner gave the unbounded read a restriction it did not make: ${JSON.stringify(restriction)}`);
      }
      const controller = new AbortController();
      const reader = await source.open(restriction.position ?? undefined, controller.signal, { worker: restriction.reader, workers: restriction.of, checkpoints: true });
      let watermark = restriction.watermark;
      let read = 0;
      try {
        const deadline = Date.now() + readMs;
        while (watermark < MAX_TIMESTAMP && read < readRecords) {
          const left = deadline - Date.now();
          if (left <= 0) break;
          const batch = await reader.next(Math.min(POLL_MS, left));
          if (batch !== null) {
            read += batch.values.length + (batch.errors?.length ?? 0);
            for (let i = 0; i < batch.values.length; i++) {
              completed++;
              await main({ value: batch.values[i], timestamp: batch.timestamps?.[i] ?? MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
            }
            for (const e of batch.errors ?? []) {
              completed++;
              if (errors === undefined) throw new Error(`${step}: ${e.error} (${JSON.stringify(e.origin ?? {})})`);
              await errors({ value: { ...e, step, origin: { source: e.step, ...e.origin } }, timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
            }
          }
          watermark = Math.max(watermark, reader.watermark());
        }
        if (watermark < MAX_TIMESTAMP) residuals.push(residualOf(wv, { reader: restriction.reader, of: restriction.of, position: reader.position(), watermark }));
      } finally {
        controller.abort();
        await reader.close();
      }
    },
  };
}

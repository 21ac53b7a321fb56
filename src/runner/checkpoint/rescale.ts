/**
 * Restoring a checkpoint taken on N worker threads onto M (issue 14, rescale). Keyed state is stored per key group, so
 * each new worker takes the groups of its range (runner/exchange key-group-range.ts) from every old worker's part;
 * what is not keyed goes to exactly one new worker (old worker w → new worker w mod M): the elements a ParDo held for
 * its side inputs, what a sink prepared (re-committed there: commits are idempotent); a side input's view is the same
 * in every worker (broadcast), so each new worker takes old worker 0's. Counters are summed into new worker 0 (the
 * job's figures stay the sum over its workers); watermarks are the minimum over the old workers (never later than
 * what every worker promised). Sources are the caller's: bounded reads re-split (see runner/exchange), unbounded ones
 * restored on the worker that reads them.
 */
import { RiffleError } from '../../model/index.ts';
import type { OperatorPart } from './format.ts';

/** What one new worker restores into one operator: watermarks, counters, then each state in turn (`op.restore`). */
export interface RestorePiece {
  /** The operator it belongs to (matched by name: a savepoint restores into a changed pipeline) and its kind. */
  readonly step: string;
  readonly kind: string;
  readonly inputWatermark: number;
  readonly outputWatermark: number;
  readonly counters: readonly [number, number, number, number];
  readonly states: readonly unknown[];
}

/** How a source step's parts are restored (given by the caller, which knows its sources). */
export type SourceRestore =
  /** Not restored through the operator (a bounded read re-split by the coordinator): no state. */
  | { readonly kind: 'none' }
  /** The state given to worker `worker` (e.g. an unbounded read on worker 0), from old worker `from`. */
  | { readonly kind: 'on'; readonly worker: number; readonly from: number }
  /** The same state in every worker (a parallel read's merged position). */
  | { readonly kind: 'every'; readonly state: unknown };

/**
 * The pieces of every operator for every new worker: `result[worker][op]`. `parts` is worker-major (old worker w's
 * operator n at `w * ops + n`); `inRange(worker, group)` says whether key group `group` belongs to new worker `worker`.
 */
export function rescaleParts(
  parts: readonly OperatorPart[],
  oldWorkers: number,
  newWorkers: number,
  inRange: (worker: number, group: number) => boolean,
  source: (op: number, part: OperatorPart) => SourceRestore | undefined,
): RestorePiece[][] {
  const ops = parts.length / oldWorkers;
  const out: RestorePiece[][] = Array.from({ length: newWorkers }, () => []);
  for (let n = 0; n < ops; n++) {
    const olds = Array.from({ length: oldWorkers }, (_, w) => parts[w * ops + n]!);
    const inputWatermark = Math.min(...olds.map((p) => p.inputWatermark));
    const outputWatermark = Math.min(...olds.map((p) => p.outputWatermark));
    const summed = olds.reduce<[number, number, number, number]>((a, p) => [a[0] + p.counters[0], a[1] + p.counters[1], a[2] + p.counters[2], a[3] + p.counters[3]], [0, 0, 0, 0]);
    const src = source(n, olds[0]!);
    for (let j = 0; j < newWorkers; j++) {
      const states: unknown[] = [];
      if (src !== undefined) {
        if (src.kind === 'on' && src.worker === j) states.push(olds[src.from]!.state);
        else if (src.kind === 'every') states.push(src.state);
      } else if (olds[0]!.kind === 'view') {
        states.push(olds[0]!.state);
      } else {
        const keyedOf = (s: unknown) => (s !== null && typeof s === 'object' && Array.isArray((s as { keyed?: unknown }).keyed) ? (s as { keyed: Array<[number, Uint8Array]> }).keyed : undefined);
        const keyed = olds.map((p) => keyedOf(p.state));
        if (keyed.some((k) => k !== undefined)) {
          // Every old worker's groups of this worker's range, with the rest of old worker 0's state (e.g. a
          // grouping's reducer watermark: the minimum over the old workers).
          const groups = keyed.flatMap((k) => (k ?? []).filter(([g]) => inRange(j, g)));
          const base: Record<string, unknown> = { ...(olds[0]!.state as Record<string, unknown>), keyed: groups };
          delete base.waiting;
          if (typeof base.reducerWatermark === 'number') base.reducerWatermark = Math.min(...olds.map((p) => (p.state as { reducerWatermark: number }).reducerWatermark));
          const table = batchTable(olds, j, newWorkers, inRange);
          if (table !== undefined) base.batch = table;
          else delete base.batch;
          // A deferred grouping's input not yet handed over, per key group (runner/local group-op.ts).
          const deferred = olds.flatMap((p) => ((p.state as { deferred?: Array<[number, Uint8Array]> } | null | undefined)?.deferred ?? []).filter(([g]) => inRange(j, g)));
          if (deferred.length > 0) base.deferred = deferred;
          else delete base.deferred;
          states.push(base);
        }
        // What is not keyed: exactly one new worker takes each old worker's.
        for (let w = j; w < oldWorkers; w += newWorkers) {
          const rest = unkeyed(olds[w]!.state);
          if (rest !== undefined) states.push(rest);
        }
      }
      out[j]!.push({ step: olds[0]!.step, kind: olds[0]!.kind, inputWatermark, outputWatermark, counters: j === 0 ? summed : [0, 0, 0, 0], states });
    }
  }
  return out;
}

/** What a checkpoint holds of a batch grouping table (runner/local batch-group.ts TableSnapshot), as far as rescale reads it. */
interface BatchTablePart {
  readonly groups: Array<[number, Uint8Array]>;
  readonly progress: boolean;
  readonly watermark: number;
  readonly spill?: unknown;
}

/**
 * A grouping's batch table for new worker `j`: every old worker's key groups of its range; the progress watermark
 * the minimum over the old workers that had started progress. Spilled runs are not split by key group: they are
 * restored only on as many workers as took the checkpoint (worker j takes old worker j's runs, which hold only keys
 * of its range), and refused otherwise, naming the step. Undefined when no old worker held a table.
 */
function batchTable(olds: readonly OperatorPart[], j: number, newWorkers: number, inRange: (worker: number, group: number) => boolean): BatchTablePart | undefined {
  const tables = olds.map((p) => (p.state as { batch?: BatchTablePart } | null | undefined)?.batch);
  if (tables.every((t) => t === undefined)) return undefined;
  const groups = tables.flatMap((t) => (t?.groups ?? []).filter(([g]) => inRange(j, g)));
  const progressed = tables.filter((t) => t?.progress === true) as BatchTablePart[];
  const spilled = tables.some((t) => t?.spill !== undefined);
  if (spilled && olds.length !== newWorkers) {
    throw new RiffleError('CHECKPOINT_UNSUPPORTED', `step '${olds[0]!.step}' had spilled grouped input to disk in the checkpoint, taken on ${olds.length} workers: it resumes on ${olds.length} workers only (${newWorkers} were asked for)`, {
      domain: 'user',
      hint: `resume with --workers ${olds.length}, or give the job more memory (--memory) so that its groupings do not spill`,
    });
  }
  const spill = tables[j]?.spill;
  return { groups, progress: progressed.length > 0, watermark: progressed.length > 0 ? Math.min(...progressed.map((t) => t.watermark)) : -Infinity, ...(spill !== undefined ? { spill } : {}) };
}

/** A part's state without its keyed groups (undefined when nothing is left). */
function unkeyed(state: unknown): unknown {
  if (state === undefined || state === null) return undefined;
  if (typeof state !== 'object' || Array.isArray(state)) return state;
  const s = state as Record<string, unknown>;
  if (!('keyed' in s)) return state;
  // A ParDo's elements waiting for side inputs (the only unkeyed piece next to keyed state).
  return s.waiting !== undefined ? { waiting: s.waiting } : undefined;
}

/**
 * The checkpointed position of an `io.bus.read` reader (bus-reader.ts): the count of messages taken and, when it acks
 * at checkpoints, the ids of the messages read before it and not known to be acked, as offset ranges. Positions
 * written by earlier versions (without `unacked`) still open.
 * @example
 *   idRanges(['3', '4', '5', '9']) // [[3, 6], [9, 10]]
 *   inRanges([[3, 6]], '4')        // true
 */
import { RiffleError } from '../../model/index.ts';

/**
 * Where a bus reader is: the count of messages it took (the subscription itself keeps the acked positions) and, when
 * it acks at checkpoints, the ids (log offsets, as [start, end) ranges) of the messages read before this position and
 * not known to be acked: what `finalizeCheckpoint` acks, and what a reader restored here acks when they come again.
 */
export interface BusReadPosition {
  readonly messages: number;
  readonly unacked?: ReadonlyArray<readonly [number, number]>;
}

/** Ranges of message ids (decimal offsets); a non-numeric id (never issued by this bus) is left out. */
export function idRanges(ids: Iterable<string>): Array<[number, number]> {
  const offsets: number[] = [];
  for (const id of ids) {
    const o = Number(id);
    if (Number.isSafeInteger(o) && o >= 0) offsets.push(o);
  }
  offsets.sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const o of offsets) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === o) last[1] = o + 1;
    else if (last === undefined || o >= last[1]) out.push([o, o + 1]);
  }
  return out;
}

/** Whether `id` falls in `ranges` (sorted, disjoint). */
export function inRanges(ranges: ReadonlyArray<readonly [number, number]>, id: string): boolean {
  const o = Number(id);
  if (!Number.isSafeInteger(o)) return false;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b] = ranges[mid]!;
    if (o < a) hi = mid - 1;
    else if (o >= b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `position` as a bus read position, or a CHECKPOINT_INVALID error naming the read (`what`). */
export function checkPosition(position: unknown, what: string): BusReadPosition | undefined {
  if (position === undefined) return undefined;
  const p = position as BusReadPosition;
  const ok =
    typeof p === 'object' && p !== null && Number.isInteger(p.messages) && p.messages >= 0 &&
    (p.unacked === undefined || (Array.isArray(p.unacked) && p.unacked.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) && r[0] < r[1])));
  if (!ok) throw new RiffleError('CHECKPOINT_INVALID', `${what}: the checkpoint's position of this read is not a bus read position: ${JSON.stringify(position)?.slice(0, 200)}`, { hint: 'the checkpoint is from another pipeline or version; run without --resume' });
  return p;
}

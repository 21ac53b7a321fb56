/**
 * Isolation `read_committed` on the client's side. A fetch at that level returns records up to the last stable
 * offset, but the records of *aborted* transactions are still in the log: the broker lists, per partition, the
 * aborted transactions overlapping the fetched range (producer id and first offset), and the consumer drops their
 * batches, as Kafka's Java consumer does. (@platformatic/kafka's MessagesStream does not: see README.md.)
 *
 * Strategy, per fetched partition, batches in offset order:
 * 1. Before a batch, every listed aborted transaction whose first offset ≤ the batch's last offset starts: its
 *    producer id joins the aborting set.
 * 2. A transactional batch of an aborting producer is dropped; if it is that producer's ABORT control marker, the
 *    producer leaves the set.
 * 3. Control batches (commit/abort markers) carry no data and are dropped.
 * Every batch, dropped or not, still moves the partition's read position past it.
 */

/** The fields of a record batch this filter reads (the client's RecordsBatch has them). */
export interface BatchHeader {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly records: readonly { readonly key: Uint8Array | null }[];
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export const IS_TRANSACTIONAL = 1 << 4;
export const IS_CONTROL = 1 << 5;
/** The timestamp type bit of a batch's attributes: set when the broker stamped it (LogAppendTime). */
export const LOG_APPEND_TIME = 1 << 3;

/** Whether a control batch is an ABORT marker (its record key: int16 version, int16 type; 0 = abort, 1 = commit). */
function isAbortMarker(b: BatchHeader): boolean {
  const key = b.records[0]?.key;
  if (!key || key.byteLength < 4) return false;
  return ((key[2]! << 8) | key[3]!) === 0;
}

/** The batches to deliver, in order, from one partition's fetched batches (steps 1–3 of the module comment). */
export function committedBatches<B extends BatchHeader>(batches: readonly B[], aborted: readonly AbortedTransaction[] | null | undefined): B[] {
  const pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set<bigint>();
  const out: B[] = [];
  let next = 0;
  for (const b of batches) {
    const last = b.firstOffset + BigInt(b.lastOffsetDelta);
    while (next < pending.length && pending[next]!.firstOffset <= last) aborting.add(pending[next++]!.producerId);
    const control = (b.attributes & IS_CONTROL) !== 0;
    if ((b.attributes & IS_TRANSACTIONAL) !== 0 && aborting.has(b.producerId)) {
      if (control && isAbortMarker(b)) aborting.delete(b.producerId);
      continue;
    }
    if (control) continue;
    out.push(b);
  }
  return out;
}

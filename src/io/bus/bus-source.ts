/**
 * `io.bus.read(subscription, options)`: a subscription of Riffle's bus as an unbounded source (streaming pull with flow
 * control), as Dataflow reads Pub/Sub.
 *
 * - **Timestamps**: the publish time, or the event time in an attribute (`timestampAttribute`: milliseconds since the
 *   epoch or RFC 3339) or computed from the decoded value (`timestampFn`).
 * - **Watermark** (Dataflow's estimate): the oldest event time among the messages of the batch just read, and the
 *   oldest unacked publish time in the subscription's backlog minus `allowedSkew` (how far before its publish time an
 *   event time may be: default 0 with publish times); never decreasing. An idle subscription (empty backlog) advances
 *   it to now − allowedSkew. An element older than the watermark is late (dropped per the windowing's lateness).
 * - **Dedup**: a message id seen before (a redelivery) and, with `idAttribute`, an id attribute seen before are
 *   dropped (acked without output), remembered for `dedupWindow` (default 10 min).
 * - **Acks**: in a run that takes checkpoints (`ack: 'checkpoint'`, chosen by itself when the run says it takes
 *   checkpoints or the reader is restored from one), messages are held (leases extended) and acked in
 *   `finalizeCheckpoint(position)`: everything read before that checkpoint's position. A reader restored at a position
 *   acks the messages that position held when they come again (they are in the restored state: the finalize was lost)
 *   and reads the rest again. Without checkpoints: with `ack: 'bundle'` (default) the messages of a batch are acked
 *   when the engine asks for the next batch, which it does only after the batch passed every step and every sink's
 *   flush of that bundle returned; with `ack: 'end'`, all at once when a read that ended closes (its final watermark
 *   has fired the windows by then). A failed or cancelled job acks nothing more: what it held is nacked (redelivered).
 *   See README.md, "Pipeline I/O", for what each promises and what it does not.
 * - **Malformed messages** (undecodable data, an unparseable timestamp attribute, a failing timestampFn) go to the
 *   read's error output with the reason and the raw bytes (as text when UTF-8, else base64, named in the origin).
 * - **Ending**: `until: 'drained'` ends the read at the first poll that finds nothing and an empty backlog;
 *   `maxMessages` after that many messages. Without either the read runs until the job is cancelled.
 */
import type { SourceContext, UnboundedSource } from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { acquireBus } from './bus-handle.ts';
import { resolveRead, type BusAckMode, type BusReadOptions, type ResolvedRead } from './bus-read-options.ts';
import { checkPosition, type BusReadPosition } from './bus-read-position.ts';
import { BusReader } from './bus-reader.ts';

export type { BusAckMode, BusDataFormat, BusMessageInfo, BusReadOptions, BusRecord } from './bus-read-options.ts';
export type { BusReadPosition } from './bus-read-position.ts';
export { BusReader } from './bus-reader.ts';

/** The subscription as an unbounded source. */
export class BusSource<T> implements UnboundedSource<T, BusReadPosition> {
  readonly kind = 'unbounded';
  constructor(
    readonly subscription: string,
    private readonly options: ResolvedRead,
  ) {}

  describe(): string {
    return `bus(${this.subscription})`;
  }

  /**
   * Opens a reader. At a `position` (a restored checkpoint) or in a run that takes checkpoints (`context`), it acks
   * at checkpoints whatever `ack` says: acking a batch before the checkpoint that holds its effect would lose it.
   */
  async open(position: BusReadPosition | undefined, signal?: AbortSignal, context?: SourceContext): Promise<BusReader<T>> {
    const restored = checkPosition(position, `io.bus.read('${this.subscription}')`);
    const ack: BusAckMode = restored !== undefined || context?.checkpoints === true ? 'checkpoint' : this.options.ack;
    const options: ResolvedRead = { ...this.options, ack };
    const handle = await acquireBus(options.bus);
    try {
      await handle.bus.getSubscription(this.subscription);
      // Acking at the end or at checkpoints holds messages: flow control must not wait for acks that come only then
      // (the bus's own bound on unacked messages, maxPendingMessages, still holds).
      const stream = handle.bus.streamingPull(
        this.subscription,
        ack !== 'bundle' ? { maxOutstandingMessages: Number.MAX_SAFE_INTEGER, maxOutstandingBytes: Number.MAX_SAFE_INTEGER } : { maxOutstandingMessages: options.batchSize },
      );
      return new BusReader<T>(this.subscription, options, handle, stream, signal, restored);
    } catch (e) {
      await handle.release();
      throw e;
    }
  }
}

/**
 * Reads a subscription of Riffle's bus as an unbounded collection.
 *
 * @example
 *   const readings = p.apply(io.bus.read<Reading>('readings-archive', { bus: '.riffle/bus', timestampAttribute: 'ts', until: 'drained' }));
 */
export function read<T = unknown>(subscription: string, options: BusReadOptions<T> = {}): ReadTransform<T> {
  return readTransform(readSource<T>(subscription, options), 'BusRead');
}

/** The source `read` applies (options checked): to open readers directly, as an engine does. */
export function readSource<T = unknown>(subscription: string, options: BusReadOptions<T> = {}): BusSource<T> {
  return new BusSource<T>(subscription, resolveRead(subscription, options));
}

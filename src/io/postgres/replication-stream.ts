/**
 * A logical replication stream (START_REPLICATION … LOGICAL with pgoutput v1) over the `pg` client: a connection in
 * replication mode, the CopyBoth stream read through a custom submittable (pg parses CopyData and hands it to the
 * active query), frames queued for the reader with back-pressure (the socket pauses past `maxQueued` frames), and
 * standby status updates that advance the slot's confirmed LSN ONLY to what `confirm(lsn)` was told — the caller says
 * so once the output of those transactions is committed (a checkpoint completed), so a restart resumes from there.
 */
import type { Client } from 'pg';
import { openClient } from './connection.ts';
import { PostgresError } from './pg-errors.ts';
import { decodeReplicationFrame, encodeStandbyStatus, formatLsn, msToPgTime } from './pgoutput.ts';
import { quoteIdent } from './sql-names.ts';

export interface ReplicationOptions {
  readonly url: string;
  readonly slot: string;
  readonly publication: string;
  /** Where to start (default 0/0: the slot's confirmed LSN — the server never goes back before it). */
  readonly startLsn?: bigint;
  /** Frames buffered before the socket pauses (default 10000). */
  readonly maxQueued?: number;
  /** Status updates at least this often, so the server does not time the client out (default 10 s). */
  readonly statusIntervalMs?: number;
}

/** One pgoutput message with the WAL position it starts at. */
export interface WalMessage {
  readonly walStart: bigint;
  readonly payload: Uint8Array;
}

/**
 * The stream of a slot.
 *
 * @example
 * const stream = await ReplicationStream.start({ url, slot: 'riffle', publication: 'riffle' });
 * for (const m of await stream.next(1000)) assembler.push(decodePgOutput(m.payload), m.walStart);
 * stream.confirm(tx.endLsn); // after the checkpoint holding tx's output completed
 */
export class ReplicationStream {
  readonly #client: Client;
  readonly #options: ReplicationOptions;
  #queue: WalMessage[] = [];
  #failure: Error | undefined;
  #ended = false;
  #wake: (() => void) | undefined;
  #received = 0n;
  #confirmed = 0n;
  #timer: NodeJS.Timeout | undefined;
  #paused = false;
  #done: Promise<void> | undefined;

  private constructor(client: Client, options: ReplicationOptions) {
    this.#client = client;
    this.#options = options;
  }

  static async start(options: ReplicationOptions): Promise<ReplicationStream> {
    const what = `io.postgres.changes(slot ${options.slot})`;
    const client = await openClient(options.url, what, { replication: 'database' });
    const stream = new ReplicationStream(client, options);
    try {
      await stream.#begin(what);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return stream;
  }

  async #begin(what: string): Promise<void> {
    const { slot, publication, startLsn = 0n } = this.#options;
    const pubs = quoteIdent(publication).replaceAll("'", "''");
    const sql = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} (proto_version '1', publication_names '${pubs}')`;
    let started!: () => void;
    let failed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => { started = resolve; failed = reject; });
    let streaming = false;
    // A pg "submittable": the client routes the connection's messages to the active query's handlers.
    const submittable = {
      submit: (connection: { query(text: string): void }) => { connection.query(sql); },
      handleCopyData: (msg: { chunk: Buffer }) => {
        if (!streaming) { streaming = true; started(); }
        this.#onFrame(new Uint8Array(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength));
      },
      handleError: (error: Error) => {
        const e = new PostgresError(`${what}: ${error.message}`, {
          cause: error,
          hint: /does not exist/.test(error.message) ? 'create the publication and slot first (riffle cdc setup, or pg_create_logical_replication_slot(slot, \'pgoutput\'))' : undefined,
        });
        if (!streaming) failed(e);
        this.#fail(e);
      },
      handleReadyForQuery: () => { this.#ended = true; this.#wakeUp(); finished(); },
      handleCommandComplete: () => {},
      handleRowDescription: () => {},
      handleDataRow: () => {},
      handleEmptyQuery: () => {},
      handleCopyInResponse: () => {},
      handlePortalSuspended: () => {},
    };
    let finished!: () => void;
    this.#done = new Promise<void>((resolve) => { finished = resolve; });
    // CopyBothResponse: the server accepted START_REPLICATION (pg's parser emits it as 'replicationStart').
    const connection = (this.#client as unknown as { connection: { once(event: string, f: () => void): void } }).connection;
    connection.once('replicationStart', () => { if (!streaming) { streaming = true; started(); } });
    void this.#client.query(submittable as never);
    // The server answers with CopyBothResponse or an error; the timeout only guards against a server that says neither.
    const statusEvery = this.#options.statusIntervalMs ?? 10_000;
    this.#timer = setInterval(() => this.#sendStatus(false), statusEvery);
    this.#timer.unref();
    await Promise.race([ready, new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]);
    if (this.#failure) throw this.#failure;
    if (!streaming) throw new PostgresError(`${what}: the server did not start streaming within 10 s`);
  }

  #onFrame(bytes: Uint8Array): void {
    try {
      const frame = decodeReplicationFrame(bytes);
      if (frame.tag === 'keepalive') {
        if (frame.walEnd > this.#received && this.#queue.length === 0) {
          this.#received = frame.walEnd;
          this.#wakeUp(); // a reader waiting to learn how far the server has sent (until: 'caughtUp')
        }
        if (frame.replyRequested) this.#sendStatus(false);
        return;
      }
      this.#queue.push({ walStart: frame.walStart, payload: frame.payload.slice() });
      if (frame.walStart > this.#received) this.#received = frame.walStart;
      if (!this.#paused && this.#queue.length >= (this.#options.maxQueued ?? 10_000)) {
        this.#paused = true;
        (this.#client as unknown as { connection: { stream: { pause(): void } } }).connection.stream.pause();
      }
      this.#wakeUp();
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The messages received so far (waiting up to `waitMs` for the first); [] when none came. Throws a stream failure. */
  async next(waitMs: number): Promise<WalMessage[]> {
    if (this.#queue.length === 0 && !this.#failure && !this.#ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
    }
    if (this.#queue.length === 0 && this.#failure) throw this.#failure;
    const out = this.#queue;
    this.#queue = [];
    if (this.#paused) {
      this.#paused = false;
      (this.#client as unknown as { connection: { stream: { resume(): void } } }).connection.stream.resume();
    }
    return out;
  }

  /**
   * The output up to `lsn` (a transaction's endLsn) is committed: the server may recycle WAL before it, and a restart
   * resumes after it. Sent right away; never moves backwards.
   */
  confirm(lsn: bigint): void {
    if (lsn <= this.#confirmed) return;
    this.#confirmed = lsn;
    this.#sendStatus(false);
  }

  /**
   * The WAL position the server has sent up to, as far as this client has seen (XLogData starts, and the walEnd of
   * keepalives that arrived with nothing queued): every transaction committed before it has been received.
   */
  received(): bigint {
    return this.#received;
  }

  /** Asks the server for a keepalive now (a status update with the reply flag): it reports how far it has sent. */
  ping(): void {
    this.#sendStatus(true);
  }

  /** What was confirmed so far. */
  confirmed(): bigint {
    return this.#confirmed;
  }

  #sendStatus(replyRequested: boolean): void {
    if (this.#ended || this.#failure) return;
    // written = what arrived; flushed = applied = what the caller confirmed (the slot's confirmed_flush_lsn).
    const written = this.#received > this.#confirmed ? this.#received : this.#confirmed;
    const status = encodeStandbyStatus(written, this.#confirmed, this.#confirmed, msToPgTime(Date.now()), replyRequested);
    (this.#client as unknown as { connection: { sendCopyFromChunk(b: Buffer): void } }).connection.sendCopyFromChunk(Buffer.from(status));
  }

  /** Ends the stream (CopyDone) and the connection; what was confirmed stays confirmed. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    const connection = (this.#client as unknown as { connection: { endCopyFrom(): void; stream: { resume(): void } } }).connection;
    if (!this.#ended && !this.#failure) {
      this.#sendStatus(false);
      connection.stream.resume();
      connection.endCopyFrom();
      await Promise.race([this.#done, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    }
    await this.#client.end().catch(() => {});
  }
}

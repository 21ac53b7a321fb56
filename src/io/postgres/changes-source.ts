/**
 * `io.postgres.changes(publication, slot, { url })`: an unbounded source of Debezium-shaped change events — an initial
 * consistent snapshot of the publication's tables (`op: 'r'`), then the slot's change stream, whole transactions per
 * batch, each event stamped with its commit time.
 *
 * Strategy:
 * 1. No position (a fresh run) and no slot: create the slot on a replication connection with EXPORT_SNAPSHOT, import
 *    that snapshot in a REPEATABLE READ transaction (then the slot's connection may close), and read every table of
 *    the publication through a cursor as `r` events. The slot's consistent point is where the stream starts: nothing
 *    is missed or seen twice between snapshot and stream. An existing slot without a position streams from it.
 * 2. A position whose snapshot was not finished (a crash mid-snapshot): the slot is dropped and step 1 runs again
 *    (`r` events are upserts for a consumer, so reading them again is harmless).
 * 3. Streaming: pgoutput messages assembled into transactions; `position()` is the end LSN of the last transaction
 *    returned. Opening at a position (restored from a completed checkpoint) confirms it to the server, which then
 *    recycles WAL before it and never sends it again. `confirm(lsn)` is the hook a completed checkpoint calls (issue 14).
 */
import type { Client } from 'pg';
import { ConfigError, MAX_TIMESTAMP, MIN_TIMESTAMP, type Instant, type SourceBatch, type UnboundedReader, type UnboundedSource } from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { ChangeAssembler, snapshotEvent, type ChangeEvent, type ChangeRow } from './change-events.ts';
import { openClient } from './connection.ts';
import { describePgError, PostgresError, redactUrl } from './pg-errors.ts';
import { decodePgOutput, formatLsn, parseLsn } from './pgoutput.ts';
import { checkUrl } from './postgres-source.ts';
import { ReplicationStream } from './replication-stream.ts';
import { quoteIdent } from './sql-names.ts';

export interface PostgresChangesOptions {
  readonly url: string;
  /** Read the publication's tables first (default true); false streams changes only. */
  readonly snapshot?: boolean;
  /** Rows per FETCH of the snapshot (default 1000). */
  readonly fetchSize?: number;
  /**
   * `caughtUp`: end the read (watermark to +∞) once every transaction committed before the read opened has been
   * returned — the server's WAL write position at open (`pg_current_wal_lsn()`) is reached. For jobs that catch up on
   * the changes so far and stop. Default: never end.
   */
  readonly until?: 'caughtUp';
  /** How often the stream reports to the server (standby status: what arrived, what is confirmed); default 10 s. */
  readonly statusIntervalMs?: number;
}

/** Where a change stream is: the end LSN of the last transaction returned, and whether the snapshot finished. */
export interface ChangesPosition {
  readonly lsn: string;
  readonly snapshotDone: boolean;
}

export class PostgresChangesSource implements UnboundedSource<ChangeEvent, ChangesPosition> {
  readonly kind = 'unbounded' as const;
  /** With `until: 'caughtUp'`: the WAL position the reader being opened ends at. */
  #endAt: bigint | undefined;
  /** @internal the end position of the reader being opened (see `until`). */
  get endAt(): bigint | undefined {
    return this.#endAt;
  }
  constructor(readonly publication: string, readonly slot: string, readonly options: PostgresChangesOptions) {}

  describe(): string {
    return `postgres-changes(${redactUrl(this.options.url)} publication ${this.publication} slot ${this.slot})`;
  }

  async open(position: ChangesPosition | undefined, signal?: AbortSignal): Promise<ChangesReader> {
    const what = `io.postgres.changes(${this.slot})`;
    const admin = await openClient(this.options.url, what);
    try {
      if (this.options.until === 'caughtUp') {
        const { rows: [now] } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
        this.#endAt = parseLsn(now!.lsn);
      }
      const { rows } = await admin.query<{ lsn: string | null }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [this.slot]);
      const exists = rows.length > 0;
      if (position && !position.snapshotDone && exists) {
        await admin.query('SELECT pg_drop_replication_slot($1)', [this.slot]);
      } else if (position && !exists) {
        throw new PostgresError(`${what}: the slot is gone, so the changes after ${position.lsn} are lost`, {
          hint: 'someone dropped the slot; start the job without its checkpoint to take a new snapshot',
        });
      }
      const fresh = !exists || (position !== undefined && !position.snapshotDone);
      if (!fresh) {
        return await ChangesReader.stream(this, position ? parseLsn(position.lsn) : 0n, position !== undefined, signal);
      }
      const snapshot = this.options.snapshot !== false;
      const repl = await openClient(this.options.url, what, { replication: 'database' });
      let created: { consistent_point: string; snapshot_name: string | null };
      try {
        const result = await repl.query<typeof created>(`CREATE_REPLICATION_SLOT ${quoteIdent(this.slot)} LOGICAL pgoutput ${snapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`);
        created = result.rows[0]!;
        const start = parseLsn(created.consistent_point);
        if (!snapshot) return await ChangesReader.stream(this, start, false, signal);
        const reader = await openClient(this.options.url, what);
        try {
          await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          await reader.query(`SET TRANSACTION SNAPSHOT '${created.snapshot_name!.replaceAll("'", "''")}'`);
          const { rows: tables } = await reader.query<{ schema: string; table: string }>(
            'SELECT schemaname AS schema, tablename AS "table" FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2', [this.publication],
          );
          if (tables.length === 0) throw new ConfigError(`${what}: publication '${this.publication}' does not exist or has no tables`, { hint: `CREATE PUBLICATION ${quoteIdent(this.publication)} FOR TABLE …` });
          return new ChangesReader(this, start, false, signal, { client: reader, tables, at: created.consistent_point });
        } catch (e) {
          await reader.end().catch(() => {});
          throw e;
        }
      } catch (e) {
        // A half-made start must not leave a slot holding WAL.
        await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [this.slot]).catch(() => {});
        throw e instanceof ConfigError || e instanceof PostgresError ? e : new PostgresError(`${what}: cannot create the slot: ${describePgError(e).reason}`, { cause: e });
      } finally {
        await repl.end().catch(() => {});
      }
    } finally {
      await admin.end().catch(() => {});
    }
  }
}

interface SnapshotPhase {
  readonly client: Client;
  readonly tables: { schema: string; table: string }[];
  readonly at: string;
}

/** Reads the snapshot (if any) then the stream. */
export class ChangesReader implements UnboundedReader<ChangeEvent, ChangesPosition> {
  #snapshot: SnapshotPhase | undefined;
  #cursorOpen = false;
  #stream: ReplicationStream | undefined;
  readonly #assembler = new ChangeAssembler();
  #lsn: bigint;
  #watermark: Instant = MIN_TIMESTAMP;
  /** `until: 'caughtUp'`: where the read ends, and whether it has. */
  readonly #endAt: bigint | undefined;
  #ended = false;
  #pingedAt = 0;
  /** A completed checkpoint's LSN given before the stream started (during the snapshot): confirmed when it starts. */
  #toConfirm: bigint | undefined;

  constructor(readonly source: PostgresChangesSource, start: bigint, readonly confirmAtStart: boolean, readonly signal: AbortSignal | undefined, snapshot?: SnapshotPhase) {
    this.#lsn = start;
    this.#snapshot = snapshot;
    this.#endAt = source.endAt;
  }

  static async stream(source: PostgresChangesSource, start: bigint, confirm: boolean, signal?: AbortSignal): Promise<ChangesReader> {
    const reader = new ChangesReader(source, start, confirm, signal);
    await reader.#startStream();
    return reader;
  }

  async #startStream(): Promise<void> {
    const { url, statusIntervalMs } = this.source.options;
    this.#stream = await ReplicationStream.start({ url, slot: this.source.slot, publication: this.source.publication, startLsn: this.#lsn, ...(statusIntervalMs !== undefined ? { statusIntervalMs } : {}) });
    if (this.confirmAtStart) this.#stream.confirm(this.#lsn);
    if (this.#toConfirm !== undefined) this.#stream.confirm(this.#toConfirm);
  }

  async next(waitMs: number): Promise<SourceBatch<ChangeEvent> | null> {
    this.signal?.throwIfAborted();
    if (this.#ended) return null;
    if (this.#snapshot) return this.#nextSnapshotBatch();
    const values: ChangeEvent[] = [];
    const timestamps: Instant[] = [];
    let messages;
    try {
      messages = await this.#stream!.next(waitMs);
    } catch (cause) {
      throw await this.#streamFailure(cause);
    }
    for (const m of messages) {
      let tx;
      try {
        tx = this.#assembler.push(decodePgOutput(m.payload), m.walStart);
      } catch (cause) {
        // Not a row's fault: the stream itself is unreadable at this position, and skipping it would lose changes.
        throw new PostgresError(`io.postgres.changes(${this.source.slot}): cannot decode the message at LSN ${formatLsn(m.walStart)}: ${(cause as Error).message}`, {
          cause,
          context: { lsn: formatLsn(m.walStart), bytes: Buffer.from(m.payload).toString('base64') },
          hint: 'the server sent what protocol v1 does not define; report it with the bytes in the error context',
        });
      }
      if (!tx) continue;
      for (const e of tx.events) { values.push(e); timestamps.push(tx.ts_ms as Instant); }
      this.#lsn = tx.endLsn;
      if ((tx.ts_ms as Instant) > this.#watermark) this.#watermark = tx.ts_ms as Instant;
    }
    // Messages of a transaction not yet committed stay in the assembler: a batch holds whole transactions only.
    if (this.#endAt !== undefined && messages.length === 0 && !this.#assembler.inTransaction()) {
      // Caught up once the server says it has sent past the end position (it answers a ping with a keepalive).
      // At most one ping per 100 ms: an empty poll mid-catch-up (the server still decoding) must not start a
      // ping-pong of keepalives.
      if (this.#stream!.received() >= this.#endAt) this.#ended = true;
      else if (Date.now() - this.#pingedAt >= 100) { this.#pingedAt = Date.now(); this.#stream!.ping(); }
    }
    return values.length === 0 ? null : { values, timestamps };
  }

  /**
   * The stream failed: say whether the slot is still there (a restart resumes from its confirmed LSN) or was dropped
   * (the changes after the last confirmed position are lost for this slot), naming the slot and the LSN.
   */
  async #streamFailure(cause: unknown): Promise<Error> {
    const what = `io.postgres.changes(${this.source.slot})`;
    const reason = cause instanceof Error ? cause.message.replace(/^io\.postgres\.changes\(slot [^)]*\): /, '') : String(cause);
    let exists: boolean | undefined;
    try {
      const admin = await openClient(this.source.options.url, what);
      try {
        exists = ((await admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [this.source.slot])).rowCount ?? 0) > 0;
      } finally {
        await admin.end().catch(() => {});
      }
    } catch {
      exists = undefined; // the server is unreachable: say what the stream said
    }
    const at = formatLsn(this.#lsn);
    if (exists === false) {
      return new PostgresError(`${what}: the replication slot '${this.source.slot}' was dropped while streaming (last transaction read ends at LSN ${at}): ${reason}`, {
        cause, context: { slot: this.source.slot, lsn: at },
        hint: 'the changes after that LSN are no longer kept for this slot; start the job without its checkpoint to take a new snapshot (riffle cdc setup recreates the slot)',
      });
    }
    return new PostgresError(`${what}: the replication stream of slot '${this.source.slot}' failed after LSN ${at}: ${reason}`, {
      cause, context: { slot: this.source.slot, lsn: at },
      hint: 'a restart resumes from the last completed checkpoint (the slot keeps the changes after its confirmed LSN)',
    });
  }

  async #nextSnapshotBatch(): Promise<SourceBatch<ChangeEvent> | null> {
    const phase = this.#snapshot!;
    const fetchSize = this.source.options.fetchSize ?? 1000;
    const now = Date.now();
    while (phase.tables.length > 0) {
      const { schema, table } = phase.tables[0]!;
      if (!this.#cursorOpen) {
        await phase.client.query(`DECLARE riffle_snapshot NO SCROLL CURSOR FOR SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
        this.#cursorOpen = true;
      }
      const { rows } = await phase.client.query<ChangeRow>(`FETCH FORWARD ${fetchSize} FROM riffle_snapshot`);
      if (rows.length > 0) {
        return { values: rows.map((r) => snapshotEvent(r, schema, table, phase.at, now)), timestamps: rows.map(() => now as Instant) };
      }
      await phase.client.query('CLOSE riffle_snapshot');
      this.#cursorOpen = false;
      phase.tables.shift();
    }
    await phase.client.query('COMMIT');
    await phase.client.end().catch(() => {});
    this.#snapshot = undefined;
    await this.#startStream();
    return null;
  }

  position(): ChangesPosition {
    return { lsn: formatLsn(this.#lsn), snapshotDone: this.#snapshot === undefined };
  }

  watermark(): Instant {
    return this.#ended ? MAX_TIMESTAMP : this.#watermark;
  }

  /** The output up to `lsn` is committed (a checkpoint completed): the slot may advance to it. */
  confirm(lsn: string): void {
    const at = parseLsn(lsn);
    if (this.#stream) this.#stream.confirm(at);
    else if (this.#toConfirm === undefined || at > this.#toConfirm) this.#toConfirm = at;
  }

  /**
   * A checkpoint holding `position` completed (its output is committed): the slot's confirmed LSN advances to the
   * end of the last transaction read before it, so the server recycles the WAL before it and a restart resumes after
   * it. A position taken during the snapshot confirms nothing: the snapshot's rows are not in the slot.
   */
  async finalizeCheckpoint(position: ChangesPosition): Promise<void> {
    if (position.snapshotDone) this.confirm(position.lsn);
  }

  async close(): Promise<void> {
    await this.#snapshot?.client.end().catch(() => {});
    await this.#stream?.close();
  }
}

/**
 * Reads a publication's changes through a logical replication slot (created with a snapshot when missing).
 *
 * @example
 * const changes = p.apply(io.postgres.changes('riffle_pub', 'riffle_slot', { url }));
 */
export function changes(publication: string, slot: string, options: PostgresChangesOptions): ReadTransform<ChangeEvent> {
  const what = 'io.postgres.changes';
  quoteIdent(publication);
  if (typeof slot !== 'string' || !/^[a-z0-9_]{1,63}$/.test(slot)) {
    throw new ConfigError(`${what}: slot '${String(slot)}' is not a valid replication slot name`, { hint: 'use lower-case letters, digits and _ (at most 63)' });
  }
  if (options === null || typeof options !== 'object') throw new ConfigError(`${what}: options with a url are required`);
  for (const k of Object.keys(options)) if (!['url', 'snapshot', 'fetchSize', 'until', 'statusIntervalMs'].includes(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: 'options are url, snapshot, fetchSize, until, statusIntervalMs' });
  if (options.statusIntervalMs !== undefined && !(Number.isInteger(options.statusIntervalMs) && options.statusIntervalMs >= 100 && options.statusIntervalMs <= 60_000)) {
    throw new ConfigError(`${what}: statusIntervalMs must be a whole number of ms from 100 to 60000 (got ${String(options.statusIntervalMs)})`);
  }
  if (options.until !== undefined && options.until !== 'caughtUp') throw new ConfigError(`${what}: option 'until' must be 'caughtUp', not ${JSON.stringify(options.until)}`, { hint: "until: 'caughtUp' ends the read once the changes committed before it opened are read; leave it out to read forever" });
  checkUrl(options.url, what);
  return readTransform(new PostgresChangesSource(publication, slot, options), 'PostgresChanges');
}

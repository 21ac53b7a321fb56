/**
 * `io.postgres.read`: a bounded source over a query or a table, streamed through a server-side cursor (FETCH in
 * batches: never the whole result in memory), optionally split into key ranges of an integer column read in
 * parallel — all reading one consistent snapshot (`pg_export_snapshot()` + `SET TRANSACTION SNAPSHOT`).
 */
import { BroadcastChannel, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import type { Client } from 'pg';
import { ConfigError, type BoundedSource, type SourceBatch } from '../../model/index.ts';
import { read as readTransform, type ReadTransform } from '../../transforms/index.ts';
import { openClient } from './connection.ts';
import { PostgresError, redactUrl } from './pg-errors.ts';
import type { PgValue } from './pg-values.ts';
import { parseTableName, quoteIdent, quoteTable } from './sql-names.ts';

/** A row as read: column name → value (types: see pg-values.ts). */
export type PgRow = Record<string, PgValue>;

/**
 * Options of `io.postgres.read`.
 *
 * @example
 * io.postgres.read({ table: 'public.orders' }, { url, splitBy: 'id', splits: 8 });
 */
export interface PostgresReadOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Positional parameters of the query ($1, $2 …). */
  readonly params?: readonly unknown[];
  /** An integer column whose [min, max] range is cut into `splits` ranges, each read by its own query. */
  readonly splitBy?: string;
  /** How many ranges (default 4 with `splitBy`). */
  readonly splits?: number;
  /** Rows per FETCH (default 1000). */
  readonly fetchSize?: number;
  /**
   * How long the snapshot of a split read is held for splits that have not started yet (default 10 minutes); past it
   * a split fails with a clear error instead of reading another snapshot.
   */
  readonly snapshotHoldMs?: number;
}

/** What `io.postgres.read` reads: a query, or a whole table. */
export type PostgresQuery = string | { readonly table: string };

/** One key range [lo, hi), the first also holding NULL keys; `hi` undefined means up to and including the max. */
interface Range {
  readonly lo: bigint;
  readonly hi: bigint | undefined;
  readonly nulls: boolean;
}

/** A split's hold on the shared snapshot: `release` once it imported it (or gave up). */
interface SnapshotRef {
  readonly id: string;
  release(): void;
}

/**
 * The snapshot of a split read, held open by the exporting transaction until every split imported it — in this
 * thread, or in worker threads (`--workers N`), whose splits tell it on a BroadcastChannel (see `PlannedSplit`).
 */
class SnapshotLease implements SnapshotRef {
  readonly id: string;
  #client: Client | undefined;
  #pending: number;
  #timer: NodeJS.Timeout;
  #channel: BroadcastChannel | undefined;

  constructor(id: string, client: Client, parts: number, holdMs: number) {
    this.id = id;
    this.#client = client;
    this.#pending = parts;
    this.#timer = setTimeout(() => void this.close(), holdMs);
    this.#timer.unref();
    this.#channel = new BroadcastChannel(snapshotChannel(id));
    this.#channel.onmessage = () => this.release();
    this.#channel.unref();
  }

  /** A split imported the snapshot (or gave up): the last one closes the exporting transaction. */
  release(): void {
    if (--this.#pending <= 0) void this.close();
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#channel?.close();
    this.#channel = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.query('COMMIT').then(() => client.end(), () => client.end()).catch(() => {});
  }
}

/** A split imported the snapshot that another thread (the coordinator's) exported and holds: tell that thread. */
class RemoteSnapshot implements SnapshotRef {
  #released = false;
  constructor(readonly id: string) {}
  release(): void {
    if (this.#released) return;
    this.#released = true;
    const channel = new BroadcastChannel(snapshotChannel(this.id));
    channel.postMessage('released');
    channel.close();
  }
}

function snapshotChannel(id: string): string {
  return `riffle.postgres.snapshot:${id}`;
}

/**
 * A split plan made in the main thread (the coordinator of `--workers N` splits every bounded read before it starts
 * the worker threads), handed to the workers as environment data: each worker's `split` cuts the same bounds and
 * imports the same snapshot, instead of exporting its own — bounds read at another moment would cut other ranges
 * (rows read twice or never under concurrent writes), and the splits would not read one consistent snapshot.
 */
interface PlannedSplit {
  readonly snapshot: string;
  readonly lo: unknown;
  readonly hi: unknown;
}

interface Part {
  readonly range: Range | undefined;
  readonly snapshot: SnapshotRef | undefined;
}

/**
 * The bounded source of `io.postgres.read`.
 *
 * @example
 * const source = new PostgresSource('SELECT * FROM events WHERE day = $1', { url, params: ['2024-05-01'], splitBy: 'id' });
 * const parts = await source.split(0); // up to 4 key ranges over one snapshot
 */
export class PostgresSource implements BoundedSource<PgRow> {
  readonly kind = 'bounded' as const;
  readonly query: PostgresQuery;
  readonly options: PostgresReadOptions;
  readonly #part: Part | undefined;

  constructor(query: PostgresQuery, options: PostgresReadOptions, part?: Part) {
    this.query = query;
    this.options = options;
    this.#part = part;
  }

  describe(): string {
    const what = typeof this.query === 'string' ? 'query' : this.query.table;
    const range = this.#part?.range;
    const of = range ? ` ${this.options.splitBy} in [${range.lo}, ${range.hi ?? 'max'}${range.hi === undefined ? ']' : ')'}` : '';
    return `postgres(${redactUrl(this.options.url)} ${what}${of})`;
  }

  /** The SELECT this source reads, without the split's range. */
  #base(): string {
    return typeof this.query === 'string' ? this.query : `SELECT * FROM ${quoteTable(parseTableName(this.query.table, 'io.postgres.read'))}`;
  }

  async estimateSizeBytes(): Promise<number> {
    return 0; // unknown without asking the server; splitting is driven by `splits`, not by size
  }

  /** Key ranges of `splitBy` over one exported snapshot (the source itself when not split). */
  async split(_desiredBundleSizeBytes: number): Promise<BoundedSource<PgRow>[]> {
    const { splitBy, splits = 4 } = this.options;
    if (this.#part || splitBy === undefined || splits <= 1) return [this];
    const what = `io.postgres.read(${this.describe()})`;
    const planKey = `riffle.postgres.split:${JSON.stringify([this.options.url, this.#base(), (this.options.params ?? []).map(String), splitBy, splits])}`;
    const planned = isMainThread ? undefined : (getEnvironmentData(planKey) as PlannedSplit | undefined);
    if (planned !== undefined) {
      const shared = planned;
      return cutRanges(shared.lo, shared.hi, splits, splitBy).map((range) => new PostgresSource(this.query, this.options, { range, snapshot: new RemoteSnapshot(shared.snapshot) }));
    }
    const client = await openClient(this.options.url, what);
    let lease: SnapshotLease | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows: [{ id }] } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const col = `riffle_q.${quoteIdent(splitBy)}`;
      const { rows: [bounds] } = await client.query<{ lo: unknown; hi: unknown }>(
        `SELECT min(${col}) AS lo, max(${col}) AS hi FROM (${this.#base()}) AS riffle_q`,
        [...(this.options.params ?? [])],
      ).catch((cause: unknown) => {
        throw new PostgresError(`${what}: cannot find the range of '${splitBy}': ${(cause as Error).message}`, { cause });
      });
      const ranges = cutRanges(bounds!.lo, bounds!.hi, splits, splitBy);
      lease = new SnapshotLease(id!, client, ranges.length, this.options.snapshotHoldMs ?? 600_000);
      // Worker threads started after this (the coordinator's plan) take these bounds and this snapshot.
      if (isMainThread) setEnvironmentData(planKey, { snapshot: id!, lo: bounds!.lo, hi: bounds!.hi } satisfies PlannedSplit);
      const leased = lease;
      return ranges.map((range) => new PostgresSource(this.query, this.options, { range, snapshot: leased }));
    } catch (e) {
      if (lease) await lease.close();
      else await client.end().catch(() => {});
      throw e;
    }
  }

  async *read(signal?: AbortSignal): AsyncIterable<SourceBatch<PgRow>> {
    const what = `io.postgres.read(${this.describe()})`;
    const part = this.#part;
    let leaseHeld = part?.snapshot !== undefined;
    const client = await openClient(this.options.url, what).catch((e: unknown) => {
      if (leaseHeld) part!.snapshot!.release();
      throw e;
    });
    const onAbort = () => void client.end().catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (part?.snapshot) {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          await client.query(`SET TRANSACTION SNAPSHOT '${part.snapshot.id.replaceAll("'", "''")}'`);
        } catch (cause) {
          throw new PostgresError(`${what}: the snapshot shared by the splits is gone: ${(cause as Error).message}`, {
            cause,
            hint: 'the splits started too late after planning (snapshotHoldMs) or the planning connection was lost; run the read again',
          });
        } finally {
          leaseHeld = false;
          part.snapshot.release();
        }
      } else {
        await client.query('BEGIN READ ONLY');
      }
      const params = [...(this.options.params ?? [])];
      let sql = this.#base();
      const range = part?.range;
      if (range) {
        const col = `riffle_q.${quoteIdent(this.options.splitBy!)}`;
        params.push(range.lo.toString());
        let cond = `${col} >= $${params.length}`;
        if (range.hi !== undefined) {
          params.push(range.hi.toString());
          cond += ` AND ${col} < $${params.length}`;
        }
        if (range.nulls) cond = `(${cond}) OR ${col} IS NULL`;
        sql = `SELECT * FROM (${sql}) AS riffle_q WHERE ${cond}`;
      }
      await client.query(`DECLARE riffle_cursor NO SCROLL CURSOR FOR ${sql}`, params).catch((cause: unknown) => {
        throw new PostgresError(`${what}: the query failed: ${(cause as Error).message}`, { cause, hint: 'check the query or table name' });
      });
      const fetch = `FETCH FORWARD ${fetchSizeOf(this.options)} FROM riffle_cursor`;
      for (;;) {
        signal?.throwIfAborted();
        const { rows } = await client.query<PgRow>(fetch);
        if (rows.length === 0) break;
        yield { values: rows };
      }
      await client.query('COMMIT');
    } finally {
      if (leaseHeld) part!.snapshot!.release();
      signal?.removeEventListener('abort', onAbort);
      await client.end().catch(() => {});
    }
  }
}

function fetchSizeOf(options: PostgresReadOptions): number {
  return options.fetchSize ?? 1000;
}

/**
 * Cuts [lo, hi] into at most `splits` ranges of nearly equal width (fewer when the span is smaller); NULL keys go to
 * the first range, so no row is lost. An empty table gives one range that reads nothing but NULL keys.
 */
export function cutRanges(lo: unknown, hi: unknown, splits: number, column: string): Range[] {
  if (lo === null || hi === null) return [{ lo: 0n, hi: 0n, nulls: true }];
  const asInt = (v: unknown): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    throw new ConfigError(`io.postgres.read: splitBy column '${column}' must be an integer column (smallint, integer, bigint), got ${JSON.stringify(String(v))}`);
  };
  const min = asInt(lo);
  const max = asInt(hi);
  const span = max - min + 1n;
  const n = span < BigInt(splits) ? span : BigInt(splits);
  const ranges: Range[] = [];
  for (let i = 0n; i < n; i++) {
    const start = min + (span * i) / n;
    ranges.push({ lo: start, hi: i === n - 1n ? undefined : min + (span * (i + 1n)) / n, nulls: i === 0n });
  }
  return ranges;
}

/**
 * Reads a query's rows (or a table's) in a pipeline: one element per row (types: see pg-values.ts), streamed
 * through a cursor. With `splitBy`, the key range is cut into `splits` ranges read in parallel from one snapshot.
 *
 * @example
 * const orders = p.apply(io.postgres.read({ table: 'orders' }, { url, splitBy: 'id', splits: 8 }));
 * const recent = p.apply(io.postgres.read('SELECT * FROM orders WHERE placed > $1', { url, params: ['2024-01-01'] }));
 */
export function read(query: PostgresQuery, options: PostgresReadOptions): ReadTransform<PgRow> {
  checkReadOptions(query, options);
  return readTransform(new PostgresSource(query, options), 'ReadPostgres');
}

const READ_KEYS = new Set(['url', 'params', 'splitBy', 'splits', 'fetchSize', 'snapshotHoldMs']);

function checkReadOptions(query: PostgresQuery, options: PostgresReadOptions): void {
  const what = 'io.postgres.read';
  if (typeof query === 'string') {
    if (query.trim() === '') throw new ConfigError(`${what}: the query must be a non-empty string`);
  } else if (query === null || typeof query !== 'object' || Object.keys(query).some((k) => k !== 'table')) {
    throw new ConfigError(`${what}: give a query string or { table: 'name' }`);
  } else {
    parseTableName(query.table, what);
  }
  if (options === null || typeof options !== 'object') throw new ConfigError(`${what}: options with a url are required`);
  for (const k of Object.keys(options)) {
    if (!READ_KEYS.has(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${[...READ_KEYS].join(', ')}` });
  }
  checkUrl(options.url, what);
  if (options.params !== undefined && !Array.isArray(options.params)) throw new ConfigError(`${what}: params must be an array`);
  if (options.splitBy !== undefined) quoteIdent(options.splitBy);
  for (const key of ['splits', 'fetchSize', 'snapshotHoldMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new ConfigError(`${what}: ${key} must be a positive integer, got ${String(v)}`);
  }
  if (options.splits !== undefined && options.splitBy === undefined) throw new ConfigError(`${what}: splits needs splitBy (the integer column to cut into ranges)`);
}

/** Rejects a URL that is not postgres:// or postgresql:// (without printing its password). */
export function checkUrl(url: unknown, what: string): void {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(`${what}: url must be a postgres://user@host:port/database URL`, { hint: 'pass { url: process.env.DATABASE_URL } or similar' });
  }
}

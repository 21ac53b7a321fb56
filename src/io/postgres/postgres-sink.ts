/**
 * `io.postgres.write`: rows into a table through the awaited sink primitive (model/sink.ts), as batched multi-row
 * statements with parameters (values never interpolated; identifiers quoted; every parameter cast to its column's
 * type, read from the catalog when the writer opens).
 *
 * Strategy per flush (one bundle):
 * 1. Rows are checked against the table's columns (an unknown column is the row's fault: it goes to the rejected
 *    output), then cut into statements of at most `batchSize` rows with the same columns, in input order.
 * 2. Each statement runs under a SAVEPOINT. If the server rejects it for a reason that is a row's fault (SQLSTATE
 *    class 22 data exception, 23 integrity constraint violation), the statement is rolled back to the savepoint and
 *    its rows are retried one by one, each under its own savepoint: the rows the server rejects go to the output with
 *    the server's reason (or fail the job with `onError: 'fail'`), the others are written. Any other failure
 *    (connection, permissions) fails the job.
 * 3. Without `exactlyOnce`, the writer's running count in `riffle_sink_progress` (row with checkpoint_id -1) is
 *    updated in the same transaction, which then commits: rows are visible per bundle, at-least-once under a restart.
 *
 * Exactly-once (`exactlyOnce: true`): one transaction spans the flushes until the input ends (`finish` commits it —
 * a batch job's rows appear all at once or not at all) or until a checkpoint (issue 14) reaches the sink:
 * `prepareCommit(id)` inserts the row (sink, writer, id, rows) into `riffle_sink_progress` and runs `PREPARE TRANSACTION`
 * (durable, invisible; needs the server's `max_prepared_transactions` > 0), and `commit` runs `COMMIT PREPARED`
 * once the checkpoint completed. `commit` is idempotent: when the prepared transaction is gone, the progress rows
 * say whether it was committed (a row with `checkpoint_id >= id`) — then it is a no-op — or lost (an error naming it).
 * Before its first write, prepare or finish, a writer rolls back the prepared transactions an earlier run of it left
 * (checkpoints that never completed; see `#rollBackOrphans`).
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import {
  ConfigError, RiffleError, excerpt, type BoundedWindow, type ErrorRecord, type Instant, type PCollection, type PTransform, type Sink,
  type SinkContext, type SinkOutput, type SinkWriter,
} from '../../model/index.ts';
import { writeToWithResults } from '../../transforms/index.ts';
import { openClient } from './connection.ts';
import { describePgError, PostgresError, redactUrl } from './pg-errors.ts';
import { checkUrl } from './postgres-source.ts';
import { parseTableName, quoteIdent, quoteTable, type TableName } from './sql-names.ts';

/** How rows change the table. */
export type PostgresWriteMode = 'insert' | 'upsert' | 'delete';

/**
 * Options of `io.postgres.write`.
 *
 * @example
 * io.postgres.write('public.accounts', { url, mode: 'upsert', key: ['id'], batchSize: 500 });
 */
export interface PostgresWriteOptions {
  readonly url: string;
  /** insert (default), upsert (INSERT … ON CONFLICT (key) DO UPDATE) or delete (rows whose key matches). */
  readonly mode?: PostgresWriteMode;
  /** The key columns: required by upsert (a unique index on them) and delete. */
  readonly key?: readonly string[];
  /** Rows per statement (default 500; fewer when the row has many columns: at most 65535 parameters). */
  readonly batchSize?: number;
  /** What a rejected row does: go to the output with its reason (default), or fail the job. */
  readonly onError?: 'output' | 'fail';
  /** One transaction until the input ends or a checkpoint commits it (see above). Default false. */
  readonly exactlyOnce?: boolean;
  /** Names this sink's rows in `riffle_sink_progress` (default: the step's name). */
  readonly sinkId?: string;
}

/** The rows the server rejected (with its reason), one ErrorRecord each; empty when all were written. */
export type PostgresWriteResult<T> = PCollection<ErrorRecord<T>>;

interface Column {
  readonly name: string;
  /** `format_type` of the column, e.g. `numeric(20,4)`: each parameter is cast to it. */
  readonly type: string;
  readonly json: boolean;
}

interface Pending<T> {
  readonly row: T;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/** SQLSTATE classes that are a row's fault (22 data exception, 23 integrity constraint violation). */
const isRowFault = (code: string | undefined) => code !== undefined && (code.startsWith('22') || code.startsWith('23'));

/** The progress table (created in the target table's schema when missing). */
const PROGRESS = 'riffle_sink_progress';

/** Why a row could not be written; `onError: 'fail'` turns it into this error. */
export class PostgresRowRejectedError extends RiffleError {
  constructor(table: string, row: unknown, reason: string) {
    super('POSTGRES_ROW_REJECTED', `io.postgres.write(${table}): the server rejected row ${excerpt(row)}: ${reason}`, {
      domain: 'user',
      context: { element: row },
      hint: "fix the row or the table's constraints, or leave onError at 'output' to route rejected rows aside",
    });
  }
}

class PostgresSink<T extends Record<string, unknown>> implements Sink<T, ErrorRecord<T>> {
  readonly guarantee: 'exactly-once' | 'at-least-once';
  readonly #table: TableName;
  readonly #options: PostgresWriteOptions;

  constructor(table: TableName, options: PostgresWriteOptions) {
    this.#table = table;
    this.#options = options;
    this.guarantee = options.exactlyOnce ? 'exactly-once' : 'at-least-once';
  }

  describe(): string {
    return `postgres(${redactUrl(this.#options.url)} ${quoteTable(this.#table)} ${this.#options.mode ?? 'insert'})`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T, ErrorRecord<T>>> {
    const what = `io.postgres.write(${quoteTable(this.#table)})`;
    const client = await openClient(this.#options.url, what);
    try {
      const columns = await readColumns(client, this.#table, what);
      for (const k of this.#options.key ?? []) {
        if (!columns.has(k)) throw new ConfigError(`${what}: key column '${k}' is not a column of the table`, { hint: `columns are ${[...columns.keys()].join(', ')}` });
      }
      const schema = await progressSchema(client, this.#table);
      await ensureProgressTable(client, schema, what);
      return new PostgresWriter<T>(client, this.#table, schema, columns, this.#options, context, what);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
  }
}

/** The table's columns and types, from the catalog (a missing table is a clear error). */
async function readColumns(client: Client, table: TableName, what: string): Promise<Map<string, Column>> {
  const { rows } = await client.query<{ name: string; type: string; base: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typname AS base
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [quoteTable(table)],
  );
  if (rows.length === 0) {
    throw new PostgresError(`${what}: the table does not exist (or has no columns) at the server`, { hint: 'create it first (io.postgres.write does not create tables)' });
  }
  return new Map(rows.map((r) => [r.name, { name: r.name, type: r.type, json: r.base === 'json' || r.base === 'jsonb' }]));
}

async function progressSchema(client: Client, table: TableName): Promise<string> {
  if (table.schema !== undefined) return table.schema;
  const { rows: [row] } = await client.query<{ schema: string }>('SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)', [quoteTable(table)]);
  return row!.schema;
}

async function ensureProgressTable(client: Client, schema: string, what: string): Promise<void> {
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.${PROGRESS} (
      sink_id text NOT NULL, writer integer NOT NULL, checkpoint_id bigint NOT NULL, rows_written bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink_id, writer, checkpoint_id))`);
  } catch (cause) {
    const { code, reason } = describePgError(cause);
    // Two writers creating it at once: one wins, the other sees a duplicate (the table then exists).
    if (code === '23505' || code === '42P07') return;
    throw new PostgresError(`${what}: cannot create ${schema}.${PROGRESS}: ${reason}`, { cause, hint: 'grant CREATE on the schema, or create the table once as in src/io/postgres/README.md' });
  }
}

class PostgresWriter<T extends Record<string, unknown>> implements SinkWriter<T, ErrorRecord<T>> {
  #pending: Pending<T>[] = [];
  #inTransaction = false;
  #savepoint = 0;
  /** Rows written in the open transaction of an exactly-once writer, recorded at the next prepare or finish. */
  #uncommitted = 0;
  /** A second session for COMMIT PREPARED (opened on the first commit). */
  #committer: Promise<Client> | undefined;
  /** Exactly-once: what an earlier run of this writer left prepared, rolled back once before this run writes. */
  #orphans: Promise<void> | undefined;
  /** Writer indexes of an earlier run whose restored prepared transactions this writer committed (see `commit`). */
  readonly #adopted = new Set<number>();
  /** Counts, for tests and reports. */
  readonly counts = { orphansRolledBack: 0 };
  readonly #sinkId: string;
  readonly #progress: string;
  readonly #target: string;
  readonly #mode: PostgresWriteMode;
  readonly #key: readonly string[];

  constructor(
    readonly client: Client,
    readonly table: TableName,
    schema: string,
    readonly columns: Map<string, Column>,
    readonly options: PostgresWriteOptions,
    readonly context: SinkContext,
    readonly what: string,
  ) {
    this.#sinkId = options.sinkId ?? context.step;
    this.#progress = `${quoteIdent(schema)}.${PROGRESS}`;
    this.#target = quoteTable(table);
    this.#mode = options.mode ?? 'insert';
    this.#key = options.key ?? [];
  }

  write(row: T, timestamp: Instant, window: BoundedWindow): void {
    this.#pending.push({ row, timestamp, window });
  }

  flush(): Promise<readonly SinkOutput<ErrorRecord<T>>[]> | undefined {
    if (this.#pending.length === 0) return undefined;
    const rows = this.#pending;
    this.#pending = [];
    return this.#writeRows(rows);
  }

  async #writeRows(rows: Pending<T>[]): Promise<SinkOutput<ErrorRecord<T>>[]> {
    const rejected: SinkOutput<ErrorRecord<T>>[] = [];
    const reject = (p: Pending<T>, reason: string) => {
      if (this.options.onError === 'fail') throw new PostgresRowRejectedError(this.#target, p.row, reason);
      const record: ErrorRecord<T> = { step: this.context.step, error: reason, element: p.row, time: new Date().toISOString(), origin: { table: this.#target } };
      rejected.push({ value: record, timestamp: p.timestamp, window: p.window });
    };
    try {
      await this.#rollBackOrphans();
      await this.#begin();
      let written = 0;
      for (const group of this.#groups(rows, reject)) {
        const failure = await this.#attempt(group.map((p) => p.row), group[0]!.cols);
        if (failure === undefined) { written += group.length; continue; }
        // One row (or more) is at fault: find which, one statement per row.
        for (const p of group) {
          const alone = await this.#attempt([p.row], p.cols);
          if (alone === undefined) written++;
          else reject(p, alone);
        }
      }
      if (this.options.exactlyOnce) this.#uncommitted += written;
      else {
        await this.#countRows(written);
        await this.#commit();
      }
    } catch (e) {
      await this.#rollback();
      if (e instanceof RiffleError) throw e;
      throw new PostgresError(`${this.what}: writing failed: ${describePgError(e).reason}`, { cause: e });
    }
    return rejected;
  }

  /**
   * Rows checked against the columns (an unknown or, for delete/upsert, missing key column rejects the row), cut
   * into runs of rows with the same columns, of at most batchSize rows and 65535 parameters.
   */
  #groups(rows: Pending<T>[], reject: (p: Pending<T>, reason: string) => void): (Pending<T> & { cols: string[] })[][] {
    const groups: (Pending<T> & { cols: string[] })[][] = [];
    let current: (Pending<T> & { cols: string[] })[] = [];
    let signature = '';
    const batchSize = this.options.batchSize ?? 500;
    for (const p of rows) {
      const cols = this.#mode === 'delete' ? [...this.#key] : Object.keys(p.row).filter((c) => p.row[c] !== undefined);
      const unknown = cols.find((c) => !this.columns.has(c));
      if (unknown !== undefined) { reject(p, `unknown column '${unknown}' (the table has ${[...this.columns.keys()].join(', ')})`); continue; }
      const missing = this.#key.find((k) => p.row[k] === undefined || p.row[k] === null);
      if (this.#mode !== 'insert' && missing !== undefined) { reject(p, `key column '${missing}' is missing or null`); continue; }
      if (cols.length === 0) { reject(p, 'the row has no columns'); continue; }
      const sig = cols.join('\0');
      const limit = Math.max(1, Math.min(batchSize, Math.floor(65535 / cols.length)));
      if (sig !== signature || current.length >= limit) {
        if (current.length > 0) groups.push(current);
        current = [];
        signature = sig;
      }
      current.push({ ...p, cols });
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  /** Runs one statement under a savepoint: undefined when it worked, the reason when the rows are at fault. */
  async #attempt(rows: T[], cols: string[]): Promise<string | undefined> {
    const savepoint = `riffle_sp${++this.#savepoint}`;
    await this.client.query(`SAVEPOINT ${savepoint}`);
    const { sql, params } = this.#statement(rows, cols);
    try {
      await this.client.query(sql, params);
      await this.client.query(`RELEASE SAVEPOINT ${savepoint}`);
      return undefined;
    } catch (e) {
      const { code, reason } = describePgError(e);
      if (!isRowFault(code) && code !== '21000') throw e;
      await this.client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      return reason;
    }
  }

  #statement(rows: T[], cols: string[]): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const cell = (row: T, c: string) => {
      const column = this.columns.get(c)!;
      const v = row[c];
      params.push(column.json && v !== null && typeof v !== 'string' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : v);
      return `$${params.length}::${column.type}`;
    };
    if (this.#mode === 'delete') {
      const tuples = rows.map((r) => `(${cols.map((c) => cell(r, c)).join(', ')})`);
      const list = cols.map(quoteIdent).join(', ');
      return { sql: `DELETE FROM ${this.#target} WHERE (${list}) IN (VALUES ${tuples.join(', ')})`, params };
    }
    let batch = rows;
    if (this.#mode === 'upsert') {
      // One statement cannot update a row twice: the last row of a key wins, as one-by-one upserts would.
      const last = new Map<string, T>();
      for (const r of rows) last.set(JSON.stringify(this.#key.map((k) => String(r[k]))), r);
      batch = [...last.values()];
    }
    const values = batch.map((r) => `(${cols.map((c) => cell(r, c)).join(', ')})`);
    let sql = `INSERT INTO ${this.#target} (${cols.map(quoteIdent).join(', ')}) VALUES ${values.join(', ')}`;
    if (this.#mode === 'upsert') {
      const updates = cols.filter((c) => !this.#key.includes(c));
      const target = this.#key.map(quoteIdent).join(', ');
      sql += updates.length === 0 ? ` ON CONFLICT (${target}) DO NOTHING` : ` ON CONFLICT (${target}) DO UPDATE SET ${updates.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`;
    }
    return { sql, params };
  }

  async #begin(): Promise<void> {
    if (this.#inTransaction) return;
    await this.client.query('BEGIN');
    this.#inTransaction = true;
  }

  async #commit(): Promise<void> {
    if (!this.#inTransaction) return;
    await this.client.query('COMMIT');
    this.#inTransaction = false;
  }

  async #rollback(): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await this.client.query('ROLLBACK').catch(() => {});
  }

  /** Adds to the writer's running count (the row with checkpoint_id -1), in the current transaction. */
  async #countRows(written: number): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.#progress} (sink_id, writer, checkpoint_id, rows_written) VALUES ($1, $2, -1, $3)
       ON CONFLICT (sink_id, writer, checkpoint_id) DO UPDATE SET rows_written = ${this.#progress}.rows_written + EXCLUDED.rows_written, updated_at = now()`,
      [this.#sinkId, this.context.worker, written],
    );
  }

  async finish(): Promise<void> {
    try {
      await this.#rollBackOrphans();
      if (this.#inTransaction && this.#uncommitted > 0) await this.#countRows(this.#uncommitted);
      this.#uncommitted = 0;
      await this.#commit();
    } finally {
      await this.#close();
    }
  }

  async #close(): Promise<void> {
    await this.client.end().catch(() => {});
    const committer = this.#committer;
    this.#committer = undefined;
    if (committer) await committer.then((c) => c.end()).catch(() => {});
  }

  async abort(_reason: unknown): Promise<void> {
    await this.#rollback();
    await this.#close();
  }

  /** The global transaction id of this sink's writer at a checkpoint (hashed: any sinkId fits, no quoting issue). */
  #gid(checkpointId: number): string {
    return `${this.#gidPrefix()}${checkpointId}`;
  }

  #gidPrefix(writer = this.context.worker): string {
    const sink = createHash('sha256').update(`${this.#target}\0${this.#sinkId}`).digest('hex').slice(0, 24);
    return `riffle_${sink}_${writer}_`;
  }

  /**
   * Exactly-once: rolls back this writer's prepared transactions that an earlier run left — checkpoints whose
   * completion never came (a crash between PREPARE and the checkpoint's metadata). A prepared transaction never
   * times out: left alone it would hold its rows' locks (the replay's writes of the same keys would wait forever)
   * and its WAL. Runs once, before this run's first write, prepare or finish — after the restored checkpoint's
   * `commit`, which the runner makes before any input, so what a completed checkpoint holds is committed, not rolled
   * back. Only this writer's gids (sink hash and writer index) are touched, and those of the earlier run's writers
   * whose restored values it committed (after a resume at fewer workers, writer j takes old writers j, j+N, …).
   */
  #rollBackOrphans(): Promise<void> {
    if (!this.options.exactlyOnce) return Promise.resolve();
    return (this.#orphans ??= (async () => {
      this.#committer ??= openClient(this.options.url, this.what);
      const committer = await this.#committer;
      const prefixes = [this.context.worker, ...this.#adopted].map((w) => this.#gidPrefix(w));
      const { rows } = await committer.query<{ gid: string }>(
        'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND EXISTS (SELECT 1 FROM unnest($1::text[]) AS p WHERE left(gid, length(p)) = p) ORDER BY prepared',
        [prefixes],
      );
      for (const { gid } of rows) {
        if (!/^riffle_[0-9a-f]{24}_\d+_\d+$/.test(gid)) continue;
        try {
          await committer.query(`ROLLBACK PREPARED '${gid}'`);
          this.counts.orphansRolledBack++;
        } catch (cause) {
          // Gone meanwhile (resolved by someone else): nothing to do.
          if (describePgError(cause).code !== '42704') throw new PostgresError(`${this.what}: cannot roll back ${gid}, left prepared by an earlier run: ${describePgError(cause).reason}`, { cause });
        }
      }
    })());
  }

  async prepareCommit(checkpointId: number): Promise<unknown> {
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) throw new Error(`internal: checkpoint id ${checkpointId}`);
    await this.#rollBackOrphans();
    await this.#begin();
    const gid = this.#gid(checkpointId);
    try {
      // A row of its own per checkpoint: a prepared transaction locks what it wrote until COMMIT PREPARED, so the
      // next checkpoint's transaction must not touch the same row (it would wait for a commit that waits for it).
      await this.client.query(
        `INSERT INTO ${this.#progress} (sink_id, writer, checkpoint_id, rows_written) VALUES ($1, $2, $3, $4)`,
        [this.#sinkId, this.context.worker, checkpointId, this.#uncommitted],
      );
      // Committed checkpoints long past are history: keep the last 100.
      await this.client.query(`DELETE FROM ${this.#progress} WHERE sink_id = $1 AND writer = $2 AND checkpoint_id >= 0 AND checkpoint_id < $3`, [
        this.#sinkId, this.context.worker, checkpointId - 100,
      ]);
      await this.client.query(`PREPARE TRANSACTION '${gid}'`);
      this.#inTransaction = false;
      this.#uncommitted = 0;
    } catch (cause) {
      await this.#rollback();
      const { code, reason } = describePgError(cause);
      throw new PostgresError(`${this.what}: cannot prepare the transaction of checkpoint ${checkpointId}: ${reason}`, {
        cause,
        hint: code === '55000' ? "set max_prepared_transactions > 0 in the server's configuration (exactly-once sinks need prepared transactions)" : undefined,
      });
    }
    return { gid, checkpointId, sinkId: this.#sinkId, writer: this.context.worker };
  }

  async commit(prepared: unknown): Promise<void> {
    const { gid, checkpointId, sinkId, writer } = prepared as { gid: string; checkpointId: number; sinkId: string; writer: number };
    if (!/^riffle_[0-9a-f]{24}_\d+_\d+$/.test(gid)) throw new Error(`internal: not a prepared transaction of io.postgres: ${String(gid)}`);
    // A restored value of another writer index (a resume at fewer workers): its orphans are this writer's to clean.
    if (this.#orphans === undefined && sinkId === this.#sinkId && Number.isSafeInteger(writer) && writer >= 0) this.#adopted.add(writer);
    // COMMIT PREPARED cannot run inside a transaction, and the writer's session is in the next checkpoint's one.
    this.#committer ??= openClient(this.options.url, this.what);
    const committer = await this.#committer;
    try {
      await committer.query(`COMMIT PREPARED '${gid}'`);
    } catch (cause) {
      if (describePgError(cause).code !== '42704') throw new PostgresError(`${this.what}: cannot commit checkpoint ${checkpointId}: ${describePgError(cause).reason}`, { cause });
      // Gone: committed earlier (a commit that ran again after a restart), or rolled back and lost.
      const { rows } = await committer.query<{ done: string | null }>(
        `SELECT max(checkpoint_id) AS done FROM ${this.#progress} WHERE sink_id = $1 AND writer = $2 AND checkpoint_id >= 0`, [sinkId, writer],
      );
      const done = rows[0]?.done;
      if (done === null || done === undefined || BigInt(done) < BigInt(checkpointId)) {
        throw new PostgresError(`${this.what}: the prepared transaction of checkpoint ${checkpointId} (${gid}) is gone and was not committed`, {
          hint: 'someone ran ROLLBACK PREPARED on it; restart the job from an earlier checkpoint',
        });
      }
    }
  }
}

/** The transform of `io.postgres.write`: its output is the rows the server rejected. */
export type PostgresWrite<T> = PTransform<PCollection<T>, PostgresWriteResult<T>>;

const WRITE_KEYS = new Set(['url', 'mode', 'key', 'batchSize', 'onError', 'exactlyOnce', 'sinkId']);

/**
 * Writes rows (objects whose keys are column names) to a PostgreSQL table; the output collection holds the rows the
 * server rejected, with its reason (a constraint, a type), so nothing is dropped silently.
 *
 * @example
 * const rejected = accounts.apply(io.postgres.write('accounts', { url, mode: 'upsert', key: ['id'] }));
 * rejected.apply(io.files.writeJsonl('out/rejected'));
 */
export function write<T extends Record<string, unknown>>(table: string, options: PostgresWriteOptions): PostgresWrite<T> {
  const transform = writeToWithResults(postgresSink<T>(table, options));
  return { ...transform, name: 'WritePostgres' };
}

/**
 * The sink behind `io.postgres.write` (options checked), for `writeTo` or a runner driving it directly.
 *
 * @example
 * const sink = postgresSink('events', { url, exactlyOnce: true });
 */
export function postgresSink<T extends Record<string, unknown>>(table: string, options: PostgresWriteOptions): Sink<T, ErrorRecord<T>> {
  const what = `io.postgres.write(${String(table)})`;
  const name = parseTableName(table, what);
  if (options === null || typeof options !== 'object') throw new ConfigError(`${what}: options with a url are required`);
  for (const k of Object.keys(options)) {
    if (!WRITE_KEYS.has(k)) throw new ConfigError(`${what}: unknown option '${k}'`, { hint: `options are ${[...WRITE_KEYS].join(', ')}` });
  }
  checkUrl(options.url, what);
  const mode = options.mode ?? 'insert';
  if (!['insert', 'upsert', 'delete'].includes(mode)) throw new ConfigError(`${what}: mode must be insert, upsert or delete, got ${String(mode)}`);
  if (options.key !== undefined && (!Array.isArray(options.key) || options.key.length === 0)) throw new ConfigError(`${what}: key must be a non-empty array of column names`);
  for (const k of options.key ?? []) quoteIdent(k);
  if (mode !== 'insert' && options.key === undefined) throw new ConfigError(`${what}: mode '${mode}' needs key (the columns that identify a row)`);
  if (options.batchSize !== undefined && !(Number.isSafeInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new ConfigError(`${what}: batchSize must be a positive integer, got ${String(options.batchSize)}`);
  }
  if (options.onError !== undefined && options.onError !== 'output' && options.onError !== 'fail') throw new ConfigError(`${what}: onError must be 'output' or 'fail'`);
  if (options.exactlyOnce !== undefined && typeof options.exactlyOnce !== 'boolean') throw new ConfigError(`${what}: exactlyOnce must be true or false`);
  if (options.sinkId !== undefined && (typeof options.sinkId !== 'string' || options.sinkId === '')) throw new ConfigError(`${what}: sinkId must be a non-empty string`);
  return new PostgresSink<T>(name, options);
}

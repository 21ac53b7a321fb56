/**
 * pgoutput messages → Debezium-shaped change events, one transaction at a time (pure code: the replication stream
 * and the snapshot feed it).
 *
 * An event is `{ op, before, after, source }` with `op` c (insert), u (update), d (delete), r (read by the initial
 * snapshot) or t (truncate), rows typed by io.postgres's one mapping (pg-values.ts), and `source` {lsn, txId, ts_ms,
 * schema, table}. Values PostgreSQL did not send because they are TOASTed and unchanged are left out of `after` and
 * listed in `unchanged`: a consumer keeps the stored value (a MERGE must not overwrite them with null).
 *
 * Relations are cached by OID as the server sends them; a new Relation message for a known OID (a column added or
 * dropped) replaces the cached one, and the server always sends it before the first change that uses the new shape.
 */
import { formatLsn, PgOutputDecodeError, pgTimeToMs, type PgOutputMessage, type RelationColumn, type TupleValue } from './pgoutput.ts';
import { parsePgText, type PgValue } from './pg-values.ts';

/** A row of a change event: column → value. */
export type ChangeRow = Record<string, PgValue>;

export interface ChangeSource {
  /** The WAL position of the change (PostgreSQL's `16/B374D848`), or of the snapshot for `r`. */
  readonly lsn: string;
  /**
   * The LSN of the transaction's commit (the same for all its changes; for `r`, the snapshot's LSN): transactions
   * arrive in this order, so a consumer that records the last one it applied can skip a replay of it.
   */
  readonly commitLsn: string;
  readonly txId: number;
  /** Commit time, ms since the epoch. */
  readonly ts_ms: number;
  readonly schema: string;
  readonly table: string;
}

/** One change, shaped as Debezium's. */
export interface ChangeEvent {
  readonly op: 'c' | 'u' | 'd' | 'r' | 't';
  /** The old row: all columns (replica identity full), the key columns only, or null when not sent. */
  readonly before: ChangeRow | null;
  readonly after: ChangeRow | null;
  readonly source: ChangeSource;
  /** Columns left out of `after` because their TOASTed value did not change (keep the stored value). */
  readonly unchanged?: readonly string[];
}

/** A committed transaction's changes, kept together. */
export interface ChangeTransaction {
  readonly txId: number;
  /** The commit's LSN, as PostgreSQL prints it. */
  readonly lsn: string;
  /** The position after the commit: what the slot's confirmed LSN advances to once this output is committed. */
  readonly endLsn: bigint;
  readonly ts_ms: number;
  /** The replication origin of the transaction, when it has one (e.g. changes applied by another subscriber). */
  readonly origin?: string;
  readonly events: readonly ChangeEvent[];
}

interface Relation {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly RelationColumn[];
}

/**
 * Assembles decoded messages into transactions.
 *
 * @example
 * const assembler = new ChangeAssembler();
 * for (const { walStart, payload } of frames) {
 *   const tx = assembler.push(decodePgOutput(payload), walStart);
 *   if (tx) emit(tx.events);
 * }
 */
export class ChangeAssembler {
  readonly #relations = new Map<number, Relation>();
  #open: { xid: number; finalLsn: bigint; commitLsn: string; ts: number; origin?: string; events: ChangeEvent[] } | undefined;

  /** Feeds one message (with its WAL position when known); returns the transaction its Commit completes. */
  push(message: PgOutputMessage, walStart?: bigint): ChangeTransaction | undefined {
    switch (message.tag) {
      case 'relation':
        this.#relations.set(message.relationOid, { schema: message.schema, table: message.table, columns: message.columns });
        return undefined;
      case 'type':
        return undefined; // values travel in text form: a custom type's name is not needed to keep them
      case 'message':
        return undefined; // pg_logical_emit_message payloads are not table changes
      case 'begin':
        if (this.#open) throw new PgOutputDecodeError(`Begin of transaction ${message.xid} inside transaction ${this.#open.xid}`);
        this.#open = { xid: message.xid, finalLsn: message.finalLsn, commitLsn: formatLsn(message.finalLsn), ts: pgTimeToMs(message.commitTime), events: [] };
        return undefined;
      case 'origin':
        this.#tx('Origin').origin = message.name;
        return undefined;
      case 'commit': {
        const tx = this.#tx('Commit');
        this.#open = undefined;
        const base = { txId: tx.xid, lsn: formatLsn(message.commitLsn), endLsn: message.endLsn, ts_ms: tx.ts, events: tx.events };
        return tx.origin === undefined ? base : { ...base, origin: tx.origin };
      }
      default:
        break;
    }
    const tx = this.#tx(message.tag);
    const lsn = formatLsn(walStart ?? tx.finalLsn);
    if (message.tag === 'truncate') {
      for (const oid of message.relationOids) {
        const rel = this.#relation(oid, 'truncate');
        tx.events.push({ op: 't', before: null, after: null, source: this.#source(rel, lsn, tx) });
      }
      return undefined;
    }
    const rel = this.#relation(message.relationOid, message.tag);
    const source = this.#source(rel, lsn, tx);
    if (message.tag === 'insert') {
      const { row, unchanged } = toRow(rel, message.newTuple, false);
      tx.events.push(withUnchanged({ op: 'c', before: null, after: row, source }, unchanged));
    } else if (message.tag === 'update') {
      const before = message.oldTuple ? toRow(rel, message.oldTuple, message.oldKind === 'key').row : null;
      const { row, unchanged } = toRow(rel, message.newTuple, false);
      tx.events.push(withUnchanged({ op: 'u', before, after: row, source }, unchanged));
    } else {
      tx.events.push({ op: 'd', before: toRow(rel, message.oldTuple, message.oldKind === 'key').row, after: null, source });
    }
    return undefined;
  }

  /** A transaction has begun and not yet committed (its messages are held until its Commit). */
  inTransaction(): boolean {
    return this.#open !== undefined;
  }

  /** The relation a change names; a change before its Relation message is a protocol error. */
  #relation(oid: number, what: string): Relation {
    const rel = this.#relations.get(oid);
    if (!rel) throw new PgOutputDecodeError(`${what} for relation ${oid} before its Relation message`);
    return rel;
  }

  #tx(what: string) {
    if (!this.#open) throw new PgOutputDecodeError(`${what} outside a transaction (no Begin)`);
    return this.#open;
  }

  #source(rel: Relation, lsn: string, tx: { xid: number; ts: number; commitLsn: string }): ChangeSource {
    return { lsn, commitLsn: tx.commitLsn, txId: tx.xid, ts_ms: tx.ts, schema: rel.schema, table: rel.table };
  }
}

function withUnchanged(event: ChangeEvent, unchanged: string[]): ChangeEvent {
  return unchanged.length === 0 ? event : { ...event, unchanged };
}

/** A tuple as a row; `keyOnly` keeps the replica identity's columns (the others are sent as null). */
function toRow(rel: Relation, tuple: readonly TupleValue[], keyOnly: boolean): { row: ChangeRow; unchanged: string[] } {
  if (tuple.length !== rel.columns.length) {
    throw new PgOutputDecodeError(`a tuple of ${rel.schema}.${rel.table} has ${tuple.length} columns, its Relation message ${rel.columns.length}`);
  }
  const row: ChangeRow = {};
  const unchanged: string[] = [];
  for (let i = 0; i < tuple.length; i++) {
    const column = rel.columns[i]!;
    if (keyOnly && !column.key) continue;
    const value = tuple[i]!;
    if (value.kind === 'unchanged') unchanged.push(column.name);
    else row[column.name] = value.kind === 'null' ? null : parsePgText(column.typeOid, value.text);
  }
  return { row, unchanged };
}

/**
 * A row of the initial snapshot as a read event (`op: 'r'`), at the snapshot's LSN (the slot's consistent point).
 *
 * @example snapshotEvent({ id: 1n }, 'public', 'orders', '0/16B3748', Date.now())
 */
export function snapshotEvent(row: ChangeRow, schema: string, table: string, lsn: string, tsMs: number): ChangeEvent {
  return { op: 'r', before: null, after: row, source: { lsn, commitLsn: lsn, txId: 0, ts_ms: tsMs, schema, table } };
}

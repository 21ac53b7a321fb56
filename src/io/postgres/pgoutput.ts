/**
 * The `pgoutput` logical replication protocol, version 1 (PostgreSQL's "Logical Replication Message Formats"), as
 * pure code: bytes in, typed messages out — no connection, no clock. Also the two replication-stream wrappers
 * (XLogData 'w', primary keepalive 'k') and the standby status update a client sends back.
 *
 * LSNs are bigints (64-bit WAL positions; `formatLsn` prints PostgreSQL's `16/B374D848`); timestamps are bigint
 * microseconds since 2000-01-01 UTC, as on the wire (`pgTimeToMs` converts).
 */

/** A column value in a tuple: null, unchanged TOAST (not sent: the old value stays), or PostgreSQL's text form. */
export type TupleValue = { readonly kind: 'null' } | { readonly kind: 'unchanged' } | { readonly kind: 'text'; readonly text: string };

export interface RelationColumn {
  /** Part of the replica identity (the key). */
  readonly key: boolean;
  readonly name: string;
  readonly typeOid: number;
  readonly typeMod: number;
}

export type PgOutputMessage =
  | { readonly tag: 'begin'; readonly finalLsn: bigint; readonly commitTime: bigint; readonly xid: number }
  | { readonly tag: 'commit'; readonly flags: number; readonly commitLsn: bigint; readonly endLsn: bigint; readonly commitTime: bigint }
  | { readonly tag: 'origin'; readonly commitLsn: bigint; readonly name: string }
  | {
    readonly tag: 'relation'; readonly relationOid: number; readonly schema: string; readonly table: string;
    /** 'd' default, 'n' nothing, 'f' full, 'i' index. */
    readonly replicaIdentity: string; readonly columns: readonly RelationColumn[];
  }
  | { readonly tag: 'type'; readonly typeOid: number; readonly schema: string; readonly name: string }
  | { readonly tag: 'insert'; readonly relationOid: number; readonly newTuple: readonly TupleValue[] }
  | {
    readonly tag: 'update'; readonly relationOid: number;
    /** The old key ('K') or the whole old row ('O', replica identity full); absent when the key did not change. */
    readonly oldKind?: 'key' | 'old'; readonly oldTuple?: readonly TupleValue[]; readonly newTuple: readonly TupleValue[];
  }
  | { readonly tag: 'delete'; readonly relationOid: number; readonly oldKind: 'key' | 'old'; readonly oldTuple: readonly TupleValue[] }
  | { readonly tag: 'truncate'; readonly cascade: boolean; readonly restartIdentity: boolean; readonly relationOids: readonly number[] }
  | { readonly tag: 'message'; readonly transactional: boolean; readonly lsn: bigint; readonly prefix: string; readonly content: Uint8Array };

/** A message that does not follow the protocol: names the message, the offset and what was expected. */
export class PgOutputDecodeError extends Error {
  constructor(message: string) {
    super(`pgoutput: ${message}`);
    this.name = 'PgOutputDecodeError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The two values without content, shared (a tuple of a wide table would otherwise allocate one per column). */
const NULL_VALUE: TupleValue = Object.freeze({ kind: 'null' });
const UNCHANGED_VALUE: TupleValue = Object.freeze({ kind: 'unchanged' });

/** A cursor over one message's bytes; every read checks the bounds. */
class Reader {
  #pos = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array, readonly what: string) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  #need(n: number): number {
    const at = this.#pos;
    if (at + n > this.bytes.length) throw new PgOutputDecodeError(`${this.what} message truncated: ${n} more bytes needed at offset ${at} of ${this.bytes.length}`);
    this.#pos += n;
    return at;
  }
  u8(): number { return this.#view.getUint8(this.#need(1)); }
  i16(): number { return this.#view.getInt16(this.#need(2)); }
  i32(): number { return this.#view.getInt32(this.#need(4)); }
  u32(): number { return this.#view.getUint32(this.#need(4)); }
  i64(): bigint { return this.#view.getBigInt64(this.#need(8)); }
  u64(): bigint { return this.#view.getBigUint64(this.#need(8)); }
  char(): string { return String.fromCharCode(this.u8()); }
  bytesOf(n: number): Uint8Array { const at = this.#need(n); return this.bytes.subarray(at, at + n); }
  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.#pos);
    if (end < 0) throw new PgOutputDecodeError(`${this.what} message: unterminated string at offset ${this.#pos}`);
    const s = this.text(this.bytes.subarray(this.#pos, end));
    this.#pos = end + 1;
    return s;
  }
  text(b: Uint8Array): string {
    try {
      return utf8.decode(b);
    } catch {
      throw new PgOutputDecodeError(`${this.what} message: invalid UTF-8 at offset ${this.#pos}`);
    }
  }
  done(): void {
    if (this.#pos !== this.bytes.length) throw new PgOutputDecodeError(`${this.what} message: ${this.bytes.length - this.#pos} unexpected trailing bytes`);
  }
  tuple(): TupleValue[] {
    const n = this.i16();
    const values: TupleValue[] = [];
    for (let i = 0; i < n; i++) {
      const kind = this.char();
      if (kind === 'n') values.push(NULL_VALUE);
      else if (kind === 'u') values.push(UNCHANGED_VALUE);
      else if (kind === 't') values.push({ kind: 'text', text: this.text(this.bytesOf(this.i32())) });
      else throw new PgOutputDecodeError(`${this.what} message: column ${i} has kind '${kind}' (protocol v1 sends n, u or t; 'b' needs binary mode, which Riffle does not request)`);
    }
    return values;
  }
}

const NAMES: Record<string, string> = { B: 'Begin', C: 'Commit', O: 'Origin', R: 'Relation', Y: 'Type', I: 'Insert', U: 'Update', D: 'Delete', T: 'Truncate', M: 'Message' };

/**
 * Decodes one pgoutput message (the payload of an XLogData, or a row of `pg_logical_slot_get_binary_changes`).
 *
 * @example
 * decodePgOutput(Uint8Array.from([0x42, ...])) // { tag: 'begin', finalLsn, commitTime, xid }
 */
export function decodePgOutput(bytes: Uint8Array): PgOutputMessage {
  if (bytes.length === 0) throw new PgOutputDecodeError('empty message');
  const type = String.fromCharCode(bytes[0]!);
  const name = NAMES[type];
  if (name === undefined) throw new PgOutputDecodeError(`unknown message type '${type}' (0x${bytes[0]!.toString(16)})`);
  const r = new Reader(bytes, name);
  r.u8();
  let m: PgOutputMessage;
  switch (type) {
    case 'B': m = { tag: 'begin', finalLsn: r.u64(), commitTime: r.i64(), xid: r.u32() }; break;
    case 'C': m = { tag: 'commit', flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() }; break;
    case 'O': m = { tag: 'origin', commitLsn: r.u64(), name: r.cstring() }; break;
    case 'R': {
      const relationOid = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = r.char();
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) columns.push({ key: (r.u8() & 1) === 1, name: r.cstring(), typeOid: r.u32(), typeMod: r.i32() });
      m = { tag: 'relation', relationOid, schema, table, replicaIdentity, columns };
      break;
    }
    case 'Y': m = { tag: 'type', typeOid: r.u32(), schema: r.cstring(), name: r.cstring() }; break;
    case 'I': {
      const relationOid = r.u32();
      const marker = r.char();
      if (marker !== 'N') throw new PgOutputDecodeError(`Insert message: expected 'N' before the new tuple, got '${marker}'`);
      m = { tag: 'insert', relationOid, newTuple: r.tuple() };
      break;
    }
    case 'U': {
      const relationOid = r.u32();
      let marker = r.char();
      let oldKind: 'key' | 'old' | undefined;
      let oldTuple: TupleValue[] | undefined;
      if (marker === 'K' || marker === 'O') {
        oldKind = marker === 'K' ? 'key' : 'old';
        oldTuple = r.tuple();
        marker = r.char();
      }
      if (marker !== 'N') throw new PgOutputDecodeError(`Update message: expected 'K', 'O' or 'N', got '${marker}'`);
      const newTuple = r.tuple();
      m = oldKind ? { tag: 'update', relationOid, oldKind, oldTuple, newTuple } : { tag: 'update', relationOid, newTuple };
      break;
    }
    case 'D': {
      const relationOid = r.u32();
      const marker = r.char();
      if (marker !== 'K' && marker !== 'O') throw new PgOutputDecodeError(`Delete message: expected 'K' or 'O', got '${marker}'`);
      m = { tag: 'delete', relationOid, oldKind: marker === 'K' ? 'key' : 'old', oldTuple: r.tuple() };
      break;
    }
    case 'T': {
      const n = r.i32();
      const options = r.u8();
      const relationOids: number[] = [];
      for (let i = 0; i < n; i++) relationOids.push(r.u32());
      m = { tag: 'truncate', cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0, relationOids };
      break;
    }
    default: { // 'M'
      const transactional = (r.u8() & 1) === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      m = { tag: 'message', transactional, lsn, prefix, content: r.bytesOf(r.i32()).slice() };
    }
  }
  r.done();
  return m;
}

/** A message of the replication stream (the CopyData payloads of START_REPLICATION). */
export type ReplicationFrame =
  | { readonly tag: 'xlogdata'; readonly walStart: bigint; readonly walEnd: bigint; readonly sendTime: bigint; readonly payload: Uint8Array }
  | { readonly tag: 'keepalive'; readonly walEnd: bigint; readonly sendTime: bigint; readonly replyRequested: boolean };

/** Decodes one CopyData payload of a START_REPLICATION stream ('w' XLogData or 'k' primary keepalive). */
export function decodeReplicationFrame(bytes: Uint8Array): ReplicationFrame {
  const type = bytes.length > 0 ? String.fromCharCode(bytes[0]!) : '';
  if (type === 'w') {
    const r = new Reader(bytes, 'XLogData');
    r.u8();
    const walStart = r.u64();
    const walEnd = r.u64();
    const sendTime = r.i64();
    return { tag: 'xlogdata', walStart, walEnd, sendTime, payload: bytes.subarray(25) };
  }
  if (type === 'k') {
    const r = new Reader(bytes, 'keepalive');
    r.u8();
    const frame = { tag: 'keepalive' as const, walEnd: r.u64(), sendTime: r.i64(), replyRequested: r.u8() === 1 };
    r.done();
    return frame;
  }
  throw new PgOutputDecodeError(`unknown replication frame '${type}'`);
}

/**
 * The standby status update ('r') a client sends: `flushed` is what the server may recycle up to (the slot's
 * confirmed_flush_lsn) — Riffle sends the LSN of the last transaction whose output a checkpoint committed.
 */
export function encodeStandbyStatus(written: bigint, flushed: bigint, applied: bigint, clientTime: bigint, replyRequested = false): Uint8Array {
  const out = new Uint8Array(34);
  const view = new DataView(out.buffer);
  out[0] = 0x72; // 'r'
  view.setBigUint64(1, written);
  view.setBigUint64(9, flushed);
  view.setBigUint64(17, applied);
  view.setBigInt64(25, clientTime);
  out[33] = replyRequested ? 1 : 0;
  return out;
}

/** Milliseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000n;

/** A wire timestamp (µs since 2000-01-01) → ms since the Unix epoch. */
export function pgTimeToMs(us: bigint): number {
  return Number(us / 1000n + PG_EPOCH_MS);
}

/** ms since the Unix epoch → a wire timestamp. */
export function msToPgTime(ms: number): bigint {
  return (BigInt(ms) - PG_EPOCH_MS) * 1000n;
}

/** An LSN as PostgreSQL prints it (`16/B374D848`). */
export function formatLsn(lsn: bigint): string {
  // One BigInt → Number conversion (exact below 2^53), then Number arithmetic: this runs once per change event.
  const n = Number(lsn);
  if (Number.isSafeInteger(n)) return `${Math.floor(n / 0x1_0000_0000).toString(16).toUpperCase()}/${(n % 0x1_0000_0000).toString(16).toUpperCase()}`;
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** PostgreSQL's `16/B374D848` → a bigint LSN. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new PgOutputDecodeError(`invalid LSN '${text}' (expected like 16/B374D848)`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

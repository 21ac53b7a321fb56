import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeAssembler, snapshotEvent } from './change-events.ts';
import {
  decodePgOutput, decodeReplicationFrame, encodeStandbyStatus, formatLsn, msToPgTime, parseLsn, pgTimeToMs, type PgOutputMessage,
} from './pgoutput.ts';

/** Builds messages byte by byte as "Logical Replication Message Formats" (protocol v1) lays them out. */
class Bytes {
  parts: number[] = [];
  ch(c: string) { this.parts.push(c.charCodeAt(0)); return this; }
  u8(n: number) { this.parts.push(n); return this; }
  i16(n: number) { const b = Buffer.alloc(2); b.writeInt16BE(n); this.parts.push(...b); return this; }
  i32(n: number) { const b = Buffer.alloc(4); b.writeInt32BE(n); this.parts.push(...b); return this; }
  i64(n: bigint) { const b = Buffer.alloc(8); b.writeBigInt64BE(n); this.parts.push(...b); return this; }
  str(s: string) { this.parts.push(...Buffer.from(s, 'utf8'), 0); return this; }
  tuple(values: (string | null | 'TOAST')[]) {
    this.i16(values.length);
    for (const v of values) {
      if (v === null) this.ch('n');
      else if (v === 'TOAST') this.ch('u');
      else { const b = Buffer.from(v, 'utf8'); this.ch('t').i32(b.length); this.parts.push(...b); }
    }
    return this;
  }
  get bytes() { return Uint8Array.from(this.parts); }
}

const ts = msToPgTime(Date.UTC(2024, 4, 1, 12));
const relation = (cols: [string, number, boolean][]) => {
  const b = new Bytes().ch('R').i32(16384).str('public').str('orders').ch('d').i16(cols.length);
  for (const [name, oid, key] of cols) b.u8(key ? 1 : 0).str(name).i32(oid).i32(-1);
  return b.bytes;
};

test('decode: every v1 message type from hand-built bytes', () => {
  assert.deepEqual(decodePgOutput(new Bytes().ch('B').i64(0x16B3748n).i64(ts).i32(747).bytes), { tag: 'begin', finalLsn: 0x16B3748n, commitTime: ts, xid: 747 });
  assert.deepEqual(decodePgOutput(new Bytes().ch('C').u8(0).i64(0x16B3748n).i64(0x16B3778n).i64(ts).bytes), { tag: 'commit', flags: 0, commitLsn: 0x16B3748n, endLsn: 0x16B3778n, commitTime: ts });
  assert.deepEqual(decodePgOutput(new Bytes().ch('O').i64(5n).str('node_a').bytes), { tag: 'origin', commitLsn: 5n, name: 'node_a' });
  assert.deepEqual(decodePgOutput(new Bytes().ch('Y').i32(90000).str('public').str('mood').bytes), { tag: 'type', typeOid: 90000, schema: 'public', name: 'mood' });
  const rel = decodePgOutput(relation([['id', 20, true], ['note', 25, false]]));
  assert.deepEqual(rel, { tag: 'relation', relationOid: 16384, schema: 'public', table: 'orders', replicaIdentity: 'd', columns: [
    { key: true, name: 'id', typeOid: 20, typeMod: -1 }, { key: false, name: 'note', typeOid: 25, typeMod: -1 },
  ] });
  assert.deepEqual(decodePgOutput(new Bytes().ch('I').i32(16384).ch('N').tuple(['1', null]).bytes), {
    tag: 'insert', relationOid: 16384, newTuple: [{ kind: 'text', text: '1' }, { kind: 'null' }],
  });
  assert.deepEqual(decodePgOutput(new Bytes().ch('U').i32(16384).ch('K').tuple(['1', null]).ch('N').tuple(['2', 'TOAST']).bytes), {
    tag: 'update', relationOid: 16384, oldKind: 'key', oldTuple: [{ kind: 'text', text: '1' }, { kind: 'null' }], newTuple: [{ kind: 'text', text: '2' }, { kind: 'unchanged' }],
  });
  assert.deepEqual(decodePgOutput(new Bytes().ch('U').i32(16384).ch('N').tuple(['1', 'é']).bytes), {
    tag: 'update', relationOid: 16384, newTuple: [{ kind: 'text', text: '1' }, { kind: 'text', text: 'é' }],
  });
  assert.deepEqual(decodePgOutput(new Bytes().ch('D').i32(16384).ch('O').tuple(['1', 'x']).bytes), {
    tag: 'delete', relationOid: 16384, oldKind: 'old', oldTuple: [{ kind: 'text', text: '1' }, { kind: 'text', text: 'x' }],
  });
  assert.deepEqual(decodePgOutput(new Bytes().ch('T').i32(2).u8(3).i32(16384).i32(16390).bytes), { tag: 'truncate', cascade: true, restartIdentity: true, relationOids: [16384, 16390] });
  assert.deepEqual(decodePgOutput(new Bytes().ch('M').u8(1).i64(9n).str('app').i32(2).u8(104).u8(105).bytes), {
    tag: 'message', transactional: true, lsn: 9n, prefix: 'app', content: Uint8Array.from([104, 105]),
  });
});

test('decode: malformed messages are clear errors, never garbage', () => {
  assert.throws(() => decodePgOutput(new Uint8Array()), /empty message/);
  assert.throws(() => decodePgOutput(new Bytes().ch('Z').bytes), /unknown message type 'Z'/);
  assert.throws(() => decodePgOutput(new Bytes().ch('B').i64(1n).bytes), /Begin message truncated/);
  assert.throws(() => decodePgOutput(new Bytes().ch('I').i32(1).ch('N').i16(1).ch('b').bytes), /kind 'b'/);
  assert.throws(() => decodePgOutput(new Bytes().ch('I').i32(1).ch('X').bytes), /expected 'N'/);
  assert.throws(() => decodePgOutput(new Bytes().ch('O').i64(5n).ch('a').bytes), /unterminated string/);
  assert.throws(() => decodePgOutput(new Bytes().ch('B').i64(1n).i64(1n).i32(1).u8(0).bytes), /trailing bytes/);
  assert.throws(() => decodePgOutput(new Bytes().ch('I').i32(1).ch('N').i16(1).ch('t').i32(1).u8(0xff).bytes), /invalid UTF-8/);
});

test('replication frames, standby status, LSNs and times', () => {
  const payload = new Bytes().ch('B').i64(1n).i64(ts).i32(1).bytes;
  const w = decodeReplicationFrame(Uint8Array.from([...new Bytes().ch('w').i64(10n).i64(20n).i64(ts).bytes, ...payload]));
  assert.equal(w.tag, 'xlogdata');
  assert.deepEqual(w.tag === 'xlogdata' && [w.walStart, w.walEnd, [...w.payload]], [10n, 20n, [...payload]]);
  assert.deepEqual(decodeReplicationFrame(new Bytes().ch('k').i64(30n).i64(ts).u8(1).bytes), { tag: 'keepalive', walEnd: 30n, sendTime: ts, replyRequested: true });
  assert.deepEqual([...encodeStandbyStatus(1n, 2n, 3n, 4n)], [...new Bytes().ch('r').i64(1n).i64(2n).i64(3n).i64(4n).u8(0).bytes]);
  assert.equal(formatLsn(0x16B374D848n), '16/B374D848');
  assert.equal(parseLsn('16/B374D848'), 0x16B374D848n);
  assert.throws(() => parseLsn('nope'), /invalid LSN/);
  assert.equal(pgTimeToMs(ts), Date.UTC(2024, 4, 1, 12));
});

test('events: a transaction kept together, typed values, TOAST unchanged marked, key-only before, truncate', () => {
  const a = new ChangeAssembler();
  const feed = (bytes: Uint8Array, at?: bigint) => a.push(decodePgOutput(bytes), at);
  assert.equal(feed(new Bytes().ch('B').i64(0x200n).i64(ts).i32(747).bytes), undefined);
  feed(relation([['id', 20, true], ['doc', 3802, false], ['note', 25, false]]));
  feed(new Bytes().ch('I').i32(16384).ch('N').tuple(['9007199254740993', '{"a":1}', 'x']).bytes, 0x100n);
  feed(new Bytes().ch('U').i32(16384).ch('N').tuple(['9007199254740993', null, 'TOAST']).bytes, 0x110n);
  feed(new Bytes().ch('D').i32(16384).ch('K').tuple(['9007199254740993', null, null]).bytes, 0x120n);
  // A column added: the server sends the new Relation before the first change of the new shape.
  feed(relation([['id', 20, true], ['doc', 3802, false], ['note', 25, false], ['at', 1184, false]]));
  feed(new Bytes().ch('I').i32(16384).ch('N').tuple(['2', null, 'y', '2024-05-01 12:00:00.5+00']).bytes, 0x130n);
  feed(new Bytes().ch('T').i32(1).u8(0).i32(16384).bytes, 0x140n);
  const tx = feed(new Bytes().ch('C').u8(0).i64(0x200n).i64(0x230n).i64(ts).bytes)!;
  const source = (lsn: string) => ({ lsn, commitLsn: '0/200', txId: 747, ts_ms: Date.UTC(2024, 4, 1, 12), schema: 'public', table: 'orders' });
  assert.deepEqual(tx, {
    txId: 747, lsn: '0/200', endLsn: 0x230n, ts_ms: Date.UTC(2024, 4, 1, 12),
    events: [
      { op: 'c', before: null, after: { id: 9007199254740993n, doc: { a: 1 }, note: 'x' }, source: source('0/100') },
      { op: 'u', before: null, after: { id: 9007199254740993n, doc: null }, source: source('0/110'), unchanged: ['note'] },
      { op: 'd', before: { id: 9007199254740993n }, after: null, source: source('0/120') },
      { op: 'c', before: null, after: { id: 2n, doc: null, note: 'y', at: '2024-05-01T12:00:00.5Z' }, source: source('0/130') },
      { op: 't', before: null, after: null, source: source('0/140') },
    ],
  });
  assert.deepEqual(snapshotEvent({ id: 1n }, 'public', 'orders', '0/10', 5).op, 'r');
});

test('events: protocol order violations are errors naming what was wrong', () => {
  const a = new ChangeAssembler();
  const insert = decodePgOutput(new Bytes().ch('I').i32(16384).ch('N').tuple(['1']).bytes);
  assert.throws(() => a.push(insert), /insert outside a transaction/);
  a.push(decodePgOutput(new Bytes().ch('B').i64(1n).i64(ts).i32(5).bytes));
  assert.throws(() => a.push(insert), /insert for relation 16384 before its Relation message/);
  a.push(decodePgOutput(relation([['id', 20, true], ['note', 25, false]])));
  assert.throws(() => a.push(insert), /has 1 columns, its Relation message 2/);
  assert.throws(() => a.push(decodePgOutput(new Bytes().ch('B').i64(1n).i64(ts).i32(6).bytes) as PgOutputMessage), /Begin of transaction 6 inside transaction 5/);
});

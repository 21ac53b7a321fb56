/**
 * The on-disk record batch: one publish call's messages, written as a unit and checked by a CRC, as Kafka's record
 * batches are. Layout (little-endian):
 *
 *   0  u32  magic 'RFB1'
 *   4  u32  body length (bytes after the 32-byte header)
 *   8  u32  CRC-32 of bytes [12, end): the rest of the header and the body
 *  12  u32  record count
 *  16  f64  base offset (the first message's offset; the others follow one by one)
 *  24  f64  publish time (ms since the epoch; one per batch)
 *  32  records: u32 data length, u16 attribute count, u16 ordering-key length, the key (UTF-8),
 *      per attribute u16 key length, key, u16 value length, value (UTF-8), then the data bytes
 *
 * A batch whose magic, length or CRC does not check is either a torn tail (cut on open) or corruption (refused).
 */
import type { Message } from './bus-api.ts';
import { crc32 } from './checksum.ts';

export const BATCH_MAGIC = 0x31424652; // 'RFB1' read as a little-endian u32
export const BATCH_HEADER_BYTES = 32;
/** Larger bodies are never written (a publish call is at most 10 MB), so a larger length means damage. */
export const MAX_BATCH_BODY_BYTES = 64 * 1024 * 1024;

/** A message ready to be encoded. */
export interface RecordInput {
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey?: string;
}

/** Encodes one batch. */
export function encodeBatch(baseOffset: number, publishTime: number, records: readonly RecordInput[]): Buffer {
  const parts: Array<{ key: Buffer; attrs: Array<[Buffer, Buffer]> }> = [];
  let size = BATCH_HEADER_BYTES;
  for (const r of records) {
    const key = Buffer.from(r.orderingKey ?? '', 'utf8');
    const attrs: Array<[Buffer, Buffer]> = [];
    size += 8 + key.length + r.data.length;
    for (const k in r.attributes) {
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(r.attributes[k]!, 'utf8');
      attrs.push([kb, vb]);
      size += 4 + kb.length + vb.length;
    }
    parts.push({ key, attrs });
  }
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32LE(BATCH_MAGIC, 0);
  buf.writeUInt32LE(size - BATCH_HEADER_BYTES, 4);
  buf.writeUInt32LE(records.length, 12);
  buf.writeDoubleLE(baseOffset, 16);
  buf.writeDoubleLE(publishTime, 24);
  let p = BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const { key, attrs } = parts[i]!;
    buf.writeUInt32LE(r.data.length, p);
    buf.writeUInt16LE(attrs.length, p + 4);
    buf.writeUInt16LE(key.length, p + 6);
    p += 8;
    p += key.copy(buf, p);
    for (const [kb, vb] of attrs) {
      buf.writeUInt16LE(kb.length, p);
      p += 2;
      p += kb.copy(buf, p);
      buf.writeUInt16LE(vb.length, p);
      p += 2;
      p += vb.copy(buf, p);
    }
    buf.set(r.data, p);
    p += r.data.length;
  }
  buf.writeUInt32LE(crc32(buf, 12, size), 8);
  return buf;
}

/** What a batch header says (read before the body is known to be complete). */
export interface BatchHeader {
  readonly totalBytes: number;
  readonly count: number;
  readonly baseOffset: number;
  readonly publishTime: number;
}

/** The outcome of checking the batch at `pos` of `buf`. */
export type BatchCheck =
  | { readonly ok: true; readonly header: BatchHeader }
  /** `incomplete`: the buffer ends inside the batch; `bad`: magic, length, CRC or fields do not check. */
  | { readonly ok: false; readonly kind: 'incomplete' | 'bad'; readonly reason: string };

/** Checks the batch starting at `pos` (header sanity, then CRC over the whole batch when it is in the buffer). */
export function checkBatch(buf: Uint8Array, pos: number): BatchCheck {
  if (buf.length - pos < BATCH_HEADER_BYTES) return { ok: false, kind: 'incomplete', reason: `only ${buf.length - pos} bytes of a ${BATCH_HEADER_BYTES}-byte batch header` };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.readUInt32LE(pos) !== BATCH_MAGIC) return { ok: false, kind: 'bad', reason: 'no batch magic' };
  const body = b.readUInt32LE(pos + 4);
  if (body > MAX_BATCH_BODY_BYTES) return { ok: false, kind: 'bad', reason: `batch length ${body} is larger than any batch written` };
  const total = BATCH_HEADER_BYTES + body;
  if (b.length - pos < total) return { ok: false, kind: 'incomplete', reason: `batch of ${total} bytes, ${b.length - pos} present` };
  const want = b.readUInt32LE(pos + 8);
  const got = crc32(b, pos + 12, pos + total);
  if (want !== got) return { ok: false, kind: 'bad', reason: `CRC mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})` };
  const count = b.readUInt32LE(pos + 12);
  const baseOffset = b.readDoubleLE(pos + 16);
  const publishTime = b.readDoubleLE(pos + 24);
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0 || !Number.isFinite(publishTime) || count === 0) {
    return { ok: false, kind: 'bad', reason: 'batch header fields out of range' };
  }
  return { ok: true, header: { totalBytes: total, count, baseOffset, publishTime } };
}

/**
 * Decodes the records of a checked batch at `pos` (the data is copied out of `buf`): those with offsets ≥ `from`, at
 * most `max` of them (the records before are walked over, not copied).
 */
export function decodeBatch(buf: Uint8Array, pos: number, header: BatchHeader, from = 0, max = Infinity): Message[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Message[] = [];
  let p = pos + BATCH_HEADER_BYTES;
  const end = pos + header.totalBytes;
  for (let i = 0; i < header.count; i++) {
    if (p + 8 > end) throw new RangeError(`record ${i} overruns its batch`);
    const dataLen = b.readUInt32LE(p);
    const nAttrs = b.readUInt16LE(p + 4);
    const keyLen = b.readUInt16LE(p + 6);
    p += 8;
    const orderingKey = keyLen > 0 ? b.toString('utf8', p, p + keyLen) : undefined;
    p += keyLen;
    const attributes: Record<string, string> = {};
    for (let a = 0; a < nAttrs; a++) {
      const kl = b.readUInt16LE(p);
      const k = b.toString('utf8', p + 2, p + 2 + kl);
      p += 2 + kl;
      const vl = b.readUInt16LE(p);
      attributes[k] = b.toString('utf8', p + 2, p + 2 + vl);
      p += 2 + vl;
    }
    if (p + dataLen > end) throw new RangeError(`record ${i} overruns its batch`);
    if (header.baseOffset + i < from) {
      p += dataLen;
      continue;
    }
    if (out.length >= max) return out;
    const data = new Uint8Array(dataLen);
    data.set(b.subarray(p, p + dataLen));
    p += dataLen;
    const m: Message = orderingKey !== undefined
      ? { id: String(header.baseOffset + i), data, attributes, orderingKey, publishTime: header.publishTime }
      : { id: String(header.baseOffset + i), data, attributes, publishTime: header.publishTime };
    out.push(m);
  }
  if (p !== end) throw new RangeError(`batch has ${end - p} bytes after its ${header.count} records`);
  return out;
}

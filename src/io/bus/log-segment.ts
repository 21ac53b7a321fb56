/**
 * One segment of a topic's log, as Kafka keeps them: `<base offset>.log` holds record batches back to back;
 * `<base>.index` (sparse: relative offset → byte position, every ~4 KB) and `<base>.timeindex` (publish time →
 * relative offset, same points plus the last batch) let a reader start near an offset or a time. The indexes of the
 * active segment live in memory and are written when it is sealed; a missing or inconsistent index is rebuilt by a
 * scan. On open the active segment is scanned: a torn tail (an incomplete or unreadable last batch with nothing valid
 * after it) is cut with a warning; a damaged batch followed by valid ones is refused, naming the file and byte.
 */
import { join } from 'node:path';
import { rmSync, statSync } from 'node:fs';
import { openNoFollow, readFileNoFollow, writeFileAtomic } from '../../model/index.ts';
import type { Message } from './bus-api.ts';
import { BusStorageCorruptError } from './bus-errors.ts';
import { closeFd, readAt } from './group-commit.ts';
import { BATCH_HEADER_BYTES, BATCH_MAGIC, checkBatch, decodeBatch, type BatchHeader } from './record-batch.ts';
import * as fs from 'node:fs';

/** Bytes of log between two sparse index entries. */
export const INDEX_INTERVAL_BYTES = 4096;
const READ_CHUNK = 1 << 20;

export function segmentFileName(base: number, ext: 'log' | 'index' | 'timeindex'): string {
  return `${String(base).padStart(20, '0')}.${ext}`;
}

/** The result of walking batches from a position: where the valid run ends, and why it stopped if not at the end. */
interface ScanResult {
  endPos: number;
  problem?: { pos: number; kind: 'incomplete' | 'bad'; reason: string };
}

export class LogSegment {
  /** Bytes in the file (written, maybe not yet durable). */
  size = 0;
  /** Bytes a reader may read: written and as durable as the policy says. */
  committedSize = 0;
  /** The offset after the last record. */
  end: number;
  firstTime: number | undefined;
  maxTime: number | undefined;
  private idxRel: number[] = [];
  private idxPos: number[] = [];
  private timeT: number[] = [];
  private timeRel: number[] = [];
  private lastIndexedPos = -Infinity;
  private lastBatch: { pos: number; rel: number; time: number } | undefined;
  private readers = 0;
  private deleted = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly base: number,
    readonly fd: number,
  ) {
    this.end = base;
  }

  get path(): string {
    return join(this.dir, segmentFileName(this.base, 'log'));
  }

  /** Creates an empty active segment. */
  static create(dir: string, base: number): LogSegment {
    const fd = openNoFollow(join(dir, segmentFileName(base, 'log')), 'a+');
    return new LogSegment(dir, base, fd);
  }

  /**
   * Opens an existing segment. `active` (the last one) is scanned and its torn tail cut; a sealed one trusts its
   * index files (rebuilt by a scan when missing or inconsistent) and takes `end` from the next segment's base.
   */
  static async open(dir: string, base: number, o: { active: boolean; end?: number; warn: (m: string) => void }): Promise<LogSegment> {
    const fd = openNoFollow(join(dir, segmentFileName(base, 'log')), o.active ? 'a+' : 'r');
    const seg = new LogSegment(dir, base, fd);
    try {
      seg.size = fs.fstatSync(fd).size;
      if (o.active || o.end === undefined || !seg.loadIndexes(o.end)) {
        if (!o.active) o.warn(`${seg.path}: its index files are missing or inconsistent; rebuilt them by a scan`);
        await seg.recover(o.active, o.warn);
        if (!o.active) seg.writeIndexes();
      }
      seg.committedSize = seg.size;
      return seg;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Records that a batch was written at `pos` (keeps the sparse indexes). */
  noteBatch(pos: number, header: BatchHeader): void {
    const rel = header.baseOffset - this.base;
    if (pos - this.lastIndexedPos >= INDEX_INTERVAL_BYTES) {
      this.idxRel.push(rel);
      this.idxPos.push(pos);
      this.timeT.push(header.publishTime);
      this.timeRel.push(rel);
      this.lastIndexedPos = pos;
    }
    this.lastBatch = { pos, rel, time: header.publishTime };
    this.firstTime ??= header.publishTime;
    this.maxTime = Math.max(this.maxTime ?? -Infinity, header.publishTime);
    this.end = header.baseOffset + header.count;
    this.size = Math.max(this.size, pos + header.totalBytes);
  }

  /** Writes the index files (when sealing). */
  writeIndexes(): void {
    const rel = this.idxRel.slice();
    const pos = this.idxPos.slice();
    const tt = this.timeT.slice();
    const tr = this.timeRel.slice();
    if (this.lastBatch && this.lastBatch.pos !== this.lastIndexedPos) {
      tt.push(this.lastBatch.time);
      tr.push(this.lastBatch.rel);
    }
    const idx = Buffer.alloc(rel.length * 8);
    for (let i = 0; i < rel.length; i++) {
      idx.writeUInt32LE(rel[i]!, i * 8);
      idx.writeUInt32LE(pos[i]!, i * 8 + 4);
    }
    const tix = Buffer.alloc(tt.length * 12);
    for (let i = 0; i < tt.length; i++) {
      tix.writeDoubleLE(tt[i]!, i * 12);
      tix.writeUInt32LE(tr[i]!, i * 12 + 8);
    }
    writeFileAtomic(join(this.dir, segmentFileName(this.base, 'index')), idx, { durable: false });
    writeFileAtomic(join(this.dir, segmentFileName(this.base, 'timeindex')), tix, { durable: false });
  }

  /** Loads the index files of a sealed segment; false when missing or inconsistent with the log file. */
  private loadIndexes(end: number): boolean {
    const idx = readFileNoFollow(join(this.dir, segmentFileName(this.base, 'index')));
    const tix = readFileNoFollow(join(this.dir, segmentFileName(this.base, 'timeindex')));
    if (!idx || !tix || idx.length % 8 !== 0 || tix.length % 12 !== 0 || (this.size > 0 && (idx.length === 0 || tix.length === 0))) return false;
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < idx.length; i += 8) {
      const rel = idx.readUInt32LE(i);
      const pos = idx.readUInt32LE(i + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= this.size || this.base + rel >= end) return false;
      this.idxRel.push(rel);
      this.idxPos.push(pos);
      prevRel = rel;
      prevPos = pos;
    }
    if (this.idxPos[0] !== 0 && this.size > 0) return false;
    let prevT = -Infinity;
    for (let i = 0; i < tix.length; i += 12) {
      const t = tix.readDoubleLE(i);
      const rel = tix.readUInt32LE(i + 8);
      if (!Number.isFinite(t) || t < prevT || this.base + rel >= end) return false;
      this.timeT.push(t);
      this.timeRel.push(rel);
      prevT = t;
    }
    this.end = end;
    this.firstTime = this.timeT[0];
    this.maxTime = this.timeT[this.timeT.length - 1];
    this.lastIndexedPos = this.idxPos[this.idxPos.length - 1] ?? -Infinity;
    return true;
  }

  /** Scans the whole file, rebuilding the indexes; cuts a torn tail (active) or refuses damage. */
  private async recover(active: boolean, warn: (m: string) => void): Promise<void> {
    let expected = this.base;
    const r = await this.scan(0, this.size, (pos, h) => {
      if (h.baseOffset !== expected) return `batch at byte ${pos} starts at offset ${h.baseOffset}, expected ${expected}`;
      this.noteBatch(pos, h);
      expected = h.baseOffset + h.count;
      return undefined;
    });
    if (r.problem === undefined) return;
    const { pos, reason } = r.problem;
    const validAfter = r.problem.kind === 'bad' ? await this.findValidBatchAfter(pos) : undefined;
    if (!active || validAfter !== undefined) {
      throw new BusStorageCorruptError(
        `${this.path}: damaged record batch at byte ${pos} (${reason})${validAfter !== undefined ? `; a valid batch follows at byte ${validAfter}` : '; the segment is sealed, so this is not a torn write'}`,
        {
          context: { file: this.path, byte: pos },
          hint: 'restore the topic directory from a backup, or move the damaged segment and every later one aside to keep the messages before it',
        },
      );
    }
    warn(`${this.path}: cut a torn write at byte ${pos} (${reason}); ${this.size - pos} bytes of an unacknowledged publish were dropped`);
    await new Promise<void>((res, rej) => fs.ftruncate(this.fd, pos, (e) => (e ? rej(e) : res())));
    this.size = pos;
  }

  /** The position of the first valid batch after `pos` (magic, length and CRC check), if any. */
  private async findValidBatchAfter(pos: number): Promise<number | undefined> {
    for (let start = pos + 1; start < this.size; start += READ_CHUNK) {
      const buf = await readAt(this.fd, start, Math.min(READ_CHUNK + 3, this.size - start));
      for (let i = 0; i + 4 <= buf.length && i < READ_CHUNK; i++) {
        if (buf.readUInt32LE(i) !== BATCH_MAGIC) continue;
        const head = await readAt(this.fd, start + i, BATCH_HEADER_BYTES);
        if (head.length < BATCH_HEADER_BYTES) continue;
        const whole = await readAt(this.fd, start + i, Math.min(BATCH_HEADER_BYTES + head.readUInt32LE(4), this.size - start - i));
        if (checkBatch(whole, 0).ok) return start + i;
      }
    }
    return undefined;
  }

  /**
   * Walks the batches in [from, limit), calling `onBatch` for each checked one (it may return an error text, which
   * stops the walk as damage, or 'stop'). Stops at the first batch that does not check.
   */
  async scan(from: number, limit: number, onBatch: (pos: number, h: BatchHeader, buf: Buffer, at: number) => string | undefined | 'stop'): Promise<ScanResult> {
    let pos = from;
    let buf: Buffer = Buffer.alloc(0);
    let bufPos = from; // file position of buf[0]
    while (pos < limit) {
      let at = pos - bufPos;
      let c = checkBatch(buf, at);
      // Refill from `pos` while the batch is incomplete in the buffer but may be complete in the file.
      for (let tries = 0; !c.ok && c.kind === 'incomplete' && tries < 2; tries++) {
        let want = READ_CHUNK;
        if (buf.length - at >= 8) want = Math.max(want, buf.readUInt32LE(at + 4) + BATCH_HEADER_BYTES);
        buf = await readAt(this.fd, pos, Math.min(want, limit - pos));
        bufPos = pos;
        at = 0;
        c = checkBatch(buf, 0);
      }
      if (!c.ok) return { endPos: pos, problem: { pos, kind: c.kind, reason: c.reason } };
      const verdict = onBatch(pos, c.header, buf, at);
      if (verdict === 'stop') return { endPos: pos };
      if (verdict !== undefined) return { endPos: pos, problem: { pos, kind: 'bad', reason: verdict } };
      pos += c.header.totalBytes;
    }
    return { endPos: pos };
  }

  /** The byte position to start reading for `offset` (the sparse index entry at or before it). */
  private positionFor(offset: number): number {
    const rel = offset - this.base;
    let lo = 0;
    let hi = this.idxRel.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idxRel[mid]! <= rel) {
        best = this.idxPos[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /**
   * Reads messages from `offset` (up to `maxMessages`, stopping once `maxBytes` of data are collected), only from
   * committed bytes. A batch that does not check is corruption: refused with the file and byte.
   */
  async read(offset: number, maxMessages: number, maxBytes: number): Promise<Message[]> {
    if (this.deleted) return [];
    this.readers++;
    try {
      const out: Message[] = [];
      let bytes = 0;
      const r = await this.scan(this.positionFor(offset), this.committedSize, (_pos, h, buf, at) => {
        if (h.baseOffset + h.count <= offset) return undefined;
        for (const m of decodeBatch(buf, at, h, offset, maxMessages - out.length)) {
          out.push(m);
          bytes += m.data.length;
          if (out.length >= maxMessages || bytes >= maxBytes) return 'stop';
        }
        return undefined;
      });
      if (r.problem) {
        throw new BusStorageCorruptError(`${this.path}: damaged record batch at byte ${r.problem.pos} (${r.problem.reason})`, {
          context: { file: this.path, byte: r.problem.pos },
          hint: 'restore the topic directory from a backup; the bus serves no message from a damaged batch',
        });
      }
      return out;
    } finally {
      this.readers--;
      if (this.deleted && this.readers === 0) await this.close();
    }
  }

  /** The first offset whose publish time is ≥ t, or undefined if every message of the segment is older. */
  async offsetForTime(t: number): Promise<number | undefined> {
    if (this.maxTime === undefined || this.maxTime < t) return undefined;
    let start = 0;
    for (let i = 0; i < this.timeT.length; i++) {
      if (this.timeT[i]! < t) start = this.timeRel[i]!;
      else break;
    }
    let found: number | undefined;
    await this.scan(this.positionFor(this.base + start), this.committedSize, (_p, h) => {
      if (h.publishTime >= t) {
        found = h.baseOffset;
        return 'stop';
      }
      return undefined;
    });
    return found;
  }

  /** fdatasync of this segment's file. */
  sync(): Promise<void> {
    return new Promise((res, rej) => fs.fdatasync(this.fd, (e) => (e ? rej(e) : res())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeFd(this.fd);
  }

  /** Deletes the segment's files (retention); its descriptor closes once no reader uses it. */
  async delete(): Promise<void> {
    this.deleted = true;
    for (const ext of ['log', 'index', 'timeindex'] as const) rmSync(join(this.dir, segmentFileName(this.base, ext)), { force: true });
    if (this.readers === 0) await this.close();
  }

  /** Bytes on disk (log file). */
  fileBytes(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }
}

/**
 * A topic's log: segments of record batches on disk (see log-segment.ts), appended through group commit (see
 * group-commit.ts), read by offset or time, trimmed by retention. Offsets are assigned when a publish is submitted;
 * readers see a message only once it is committed (durable per the fsync policy), so nothing a reader saw can vanish
 * in a crash. Publish times never go backwards within a log, which keeps the time index a sorted one.
 *
 * Strategy of an append round (one fsync covers every publish in it):
 *   1. each batch goes to the active segment; past `segmentBytes` the segment is sealed first (fsynced unless the
 *      policy is `never`, indexes written) and a new one started at the next offset;
 *   2. the round's buffers are written with one writev per segment, then fdatasync (policy permitting);
 *   3. the committed end moves, the round's messages enter the tail cache, and listeners hear of them.
 */
import { readdirSync } from 'node:fs';
import type { Message } from './bus-api.ts';
import type { Clock } from './clock.ts';
import { GroupCommitter, writevAll, type FsyncPolicy } from './group-commit.ts';
import { LogSegment } from './log-segment.ts';
import { encodeBatch, type RecordInput } from './record-batch.ts';

export interface TopicLogOptions {
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  segmentBytes: number;
  clock: Clock;
  warn: (message: string) => void;
  /** Messages kept decoded in memory after commit (most recent first to go to disk reads). */
  tailCacheBytes?: number;
}

interface Pending {
  buf: Buffer;
  baseOffset: number;
  count: number;
  publishTime: number;
  messages: Message[];
}

/** An append-only, segmented, CRC-checked log. */
export class TopicLog {
  private segments: LogSegment[] = [];
  private nextOffset = 0;
  private committed = 0;
  private lastPublishTime = -Infinity;
  private committer: GroupCommitter<Pending>;
  private cache: Message[] = [];
  private cacheStart = 0; // index in `cache` of the first live entry
  private cacheBase = 0; // offset of cache[cacheStart]
  private cacheBytes = 0;
  private listeners = new Set<() => void>();
  private closed = false;
  /**
   * Written rounds waiting for their fsync before they become readable (several with overlapping fsyncs): the
   * segment each ended in, and the size of every segment it wrote to at the end of its write.
   */
  private written = new Map<Pending[], { last: LogSegment; ends: Array<[LogSegment, number]> }>();

  private constructor(
    readonly dir: string,
    private readonly o: TopicLogOptions,
  ) {
    this.committer = new GroupCommitter<Pending>({
      policy: o.fsync,
      intervalMs: o.fsyncIntervalMs,
      // Under `interval`, the next round is written while this one's fsync runs (group-commit.ts).
      overlap: o.fsync === 'interval',
      write: (items) => this.writeRound(items),
      sync: (items) => (this.written.get(items)?.last ?? this.active).sync(),
      onDurable: (items) => this.commit(items),
    });
  }

  /** Opens (or creates) the log in `dir` (which must exist and be safe). */
  static async open(dir: string, o: TopicLogOptions): Promise<TopicLog> {
    const log = new TopicLog(dir, o);
    const bases = readdirSync(dir)
      .filter((n) => /^\d{20}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 20)))
      .sort((a, b) => a - b);
    try {
      for (let i = 0; i < bases.length; i++) {
        const active = i === bases.length - 1;
        log.segments.push(await LogSegment.open(dir, bases[i]!, { active, end: active ? undefined : bases[i + 1], warn: o.warn }));
      }
    } catch (e) {
      for (const s of log.segments) await s.close();
      throw e;
    }
    if (log.segments.length === 0) log.segments.push(LogSegment.create(dir, 0));
    const last = log.active;
    log.nextOffset = last.end;
    log.committed = last.end;
    log.cacheBase = last.end;
    for (const s of log.segments) if (s.maxTime !== undefined) log.lastPublishTime = Math.max(log.lastPublishTime, s.maxTime);
    return log;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** The first offset still retained. */
  get startOffset(): number {
    return this.segments[0]!.base;
  }

  /** The offset after the last committed (readable) message. */
  get endOffset(): number {
    return this.committed;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** fsyncs made so far (group commit makes this far fewer than publishes). */
  get syncCount(): number {
    return this.committer.syncs;
  }

  /** Bytes of all segment files. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get oldestPublishTime(): number | undefined {
    for (const s of this.segments) if (s.firstTime !== undefined) return s.firstTime;
    return undefined;
  }

  /** Calls `fn` after each commit (new messages readable). Returns an unsubscribe function. */
  onCommit(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Appends one batch; resolves once it is committed per the fsync policy, with its first offset and publish time.
   * Offsets are taken now, in call order.
   */
  async append(records: readonly RecordInput[]): Promise<{ baseOffset: number; publishTime: number }> {
    if (this.closed) throw new Error('the log is closed');
    const baseOffset = this.nextOffset;
    this.nextOffset += records.length;
    const publishTime = Math.max(this.o.clock.now(), this.lastPublishTime);
    this.lastPublishTime = publishTime;
    const buf = encodeBatch(baseOffset, publishTime, records);
    const messages: Message[] = records.map((r, i) => {
      const id = String(baseOffset + i);
      return r.orderingKey !== undefined
        ? { id, data: r.data, attributes: r.attributes, orderingKey: r.orderingKey, publishTime }
        : { id, data: r.data, attributes: r.attributes, publishTime };
    });
    await this.committer.submit({ buf, baseOffset, count: records.length, publishTime, messages });
    return { baseOffset, publishTime };
  }

  private async writeRound(items: Pending[]): Promise<void> {
    let bufs: Buffer[] = [];
    const ends: Array<[LogSegment, number]> = [];
    for (const it of items) {
      if (this.active.size > 0 && this.active.size + it.buf.length > this.o.segmentBytes) {
        await writevAll(this.active.fd, bufs);
        bufs = [];
        ends.push([this.active, this.active.size]);
        await this.roll(it.baseOffset);
      }
      this.active.noteBatch(this.active.size, { totalBytes: it.buf.length, count: it.count, baseOffset: it.baseOffset, publishTime: it.publishTime });
      bufs.push(it.buf);
    }
    await writevAll(this.active.fd, bufs);
    ends.push([this.active, this.active.size]);
    this.written.set(items, { last: this.active, ends });
  }

  /** Seals the active segment (fsynced unless the policy is `never`) and starts a new one at `nextBase`. */
  private async roll(nextBase: number): Promise<void> {
    const old = this.active;
    if (this.o.fsync !== 'never') await old.sync();
    old.writeIndexes();
    this.segments.push(LogSegment.create(this.dir, nextBase));
  }

  /** Marks a written (and synced) round readable: up to where it ended in each segment, not what a later round wrote. */
  private commit(items: Pending[]): void {
    const round = this.written.get(items);
    this.written.delete(items);
    for (const [segment, end] of round?.ends ?? []) segment.committedSize = Math.max(segment.committedSize, end);
    for (const it of items) {
      for (const m of it.messages) {
        this.cache.push(m);
        this.cacheBytes += m.data.length + 64;
      }
      this.committed = it.baseOffset + it.count;
    }
    const cap = this.o.tailCacheBytes ?? 32 * 1024 * 1024;
    while (this.cacheBytes > cap && this.cacheStart < this.cache.length) {
      this.cacheBytes -= this.cache[this.cacheStart]!.data.length + 64;
      this.cacheStart++;
      this.cacheBase++;
    }
    if (this.cacheStart > 4096 && this.cacheStart * 2 > this.cache.length) {
      this.cache = this.cache.slice(this.cacheStart);
      this.cacheStart = 0;
    }
    for (const fn of this.listeners) fn();
  }

  /**
   * Reads committed messages from `offset` on: at most `maxMessages`, stopping after `maxBytes` of data. Recent ones
   * come from memory; older ones from disk (CRC-checked). An offset before the start reads from the start.
   */
  async read(offset: number, maxMessages: number, maxBytes = 8 * 1024 * 1024): Promise<Message[]> {
    offset = Math.max(offset, this.startOffset);
    const out: Message[] = [];
    let bytes = 0;
    while (out.length < maxMessages && bytes < maxBytes && offset < this.committed) {
      if (offset >= this.cacheBase) {
        for (let i = this.cacheStart + (offset - this.cacheBase); i < this.cache.length && out.length < maxMessages && bytes < maxBytes; i++) {
          const m = this.cache[i]!;
          if (Number(m.id) >= this.committed) break;
          out.push(m);
          bytes += m.data.length;
        }
        break;
      }
      const seg = this.segmentFor(offset);
      if (seg === undefined) break;
      const got = await seg.read(offset, Math.min(maxMessages - out.length, this.cacheBase - offset), maxBytes - bytes);
      if (got.length === 0) {
        if (seg.end <= offset) break; // nothing more is readable here (never loop in place)
        offset = seg.end; // a segment deleted by retention meanwhile
        continue;
      }
      for (const m of got) {
        out.push(m);
        bytes += m.data.length;
      }
      offset = Number(got[got.length - 1]!.id) + 1;
    }
    return out;
  }

  private segmentFor(offset: number): LogSegment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: LogSegment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.base <= offset) {
        found = this.segments[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The first committed offset published at or after `t` (the end offset if none). */
  async offsetForTime(t: number): Promise<number> {
    for (const s of this.segments) {
      const o = await s.offsetForTime(t);
      if (o !== undefined) return Math.min(o, this.committed);
    }
    return this.committed;
  }

  /**
   * Deletes whole sealed segments older than `retentionMs` (their newest message is) or beyond `retentionBytes`
   * (oldest first). The active segment is never deleted. Returns the number of segments deleted.
   */
  async enforceRetention(now: number, retentionMs: number, retentionBytes?: number): Promise<number> {
    let deleted = 0;
    let total = this.bytes;
    while (this.segments.length > 1) {
      const s = this.segments[0]!;
      const tooOld = s.maxTime !== undefined && s.maxTime < now - retentionMs;
      const tooBig = retentionBytes !== undefined && total > retentionBytes;
      if (!tooOld && !tooBig) break;
      total -= s.size;
      this.segments.shift();
      await s.delete();
      deleted++;
    }
    return deleted;
  }

  /** Waits for pending appends, fsyncs, closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.committer.drain();
    this.closed = true;
    if (this.committer.failed === undefined) await this.active.sync().catch(() => undefined);
    for (const s of this.segments) await s.close();
  }

  /** Waits for pending appends. */
  flush(): Promise<void> {
    return this.committer.drain();
  }
}

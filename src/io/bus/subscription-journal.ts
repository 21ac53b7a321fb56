/**
 * A subscription's durable state: `state.json` (a snapshot: acked offsets as ranges, and the delivery count, lease
 * and retry time of messages delivered but not acked) plus `journal-<gen>.log`, the changes since, one line each:
 * `<crc32 hex> <json>\n` with `{"a":[[from,to],...]}` (acked), `{"d":[[offset,attempts,leaseExpiry],...]}`
 * (delivered) or `{"r":[[offset,availableAt],...]}` (given back). Every record sets values (never increments), so
 * replaying a record twice is harmless. Appends go through group commit with the bus's fsync policy: an acknowledge
 * resolves once its record is durable. When the journal passes its size bound, the next write round writes a new
 * snapshot (atomically, with the next generation) instead and starts a new journal.
 *
 * On open a torn last line is cut with a warning; a damaged line followed by valid ones is refused (file and byte).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openNoFollow, readFileNoFollow, writeFileAtomicAsync } from '../../model/index.ts';
import { BusStorageCorruptError } from './bus-errors.ts';
import { crc32 } from './checksum.ts';
import { closeFd, fdatasync, GroupCommitter, writevAll, type FsyncPolicy } from './group-commit.ts';
import * as fs from 'node:fs';

/** What a subscription persists about one delivered, unacked message. */
export interface DeliveryState {
  attempts: number;
  /** 0 when not leased. */
  leaseExpiry: number;
  /** 0 when available at once. */
  availableAt: number;
}

/** The whole persisted state. */
export interface SubscriptionSnapshotState {
  acked: Array<[number, number]>;
  deliveries: Map<number, DeliveryState>;
}

export type JournalRecord =
  | { a: Array<[number, number]> }
  | { d: Array<[number, number, number]> }
  | { r: Array<[number, number]> };

interface StateFile {
  version: 1;
  gen: number;
  acked: Array<[number, number]>;
  deliveries: Array<[number, number, number, number]>;
}

type Item = { line: Buffer } | { compact: true };

export class SubscriptionJournal {
  private fd: number;
  private gen: number;
  private bytes = 0;
  private committer: GroupCommitter<Item>;
  private closed = false;

  private constructor(
    private readonly dir: string,
    gen: number,
    fd: number,
    bytes: number,
    private readonly o: { fsync: FsyncPolicy; fsyncIntervalMs: number; compactBytes: number; snapshot: () => SubscriptionSnapshotState },
  ) {
    this.gen = gen;
    this.fd = fd;
    this.bytes = bytes;
    this.committer = new GroupCommitter<Item>({
      policy: o.fsync,
      intervalMs: o.fsyncIntervalMs,
      write: (items) => this.writeRound(items),
      sync: () => fdatasync(this.fd),
    });
  }

  /**
   * Opens the journal in `dir`, returning it and the state it holds (snapshot + replayed journal). `snapshot` gives
   * the subscription's current state when the journal compacts.
   */
  static open(
    dir: string,
    o: { fsync: FsyncPolicy; fsyncIntervalMs: number; compactBytes: number; snapshot: () => SubscriptionSnapshotState; warn: (m: string) => void },
  ): { journal: SubscriptionJournal; state: SubscriptionSnapshotState } {
    const statePath = join(dir, 'state.json');
    const raw = readFileNoFollow(statePath);
    let file: StateFile = { version: 1, gen: 0, acked: [], deliveries: [] };
    if (raw !== undefined) {
      try {
        file = JSON.parse(raw.toString('utf8')) as StateFile;
        if (file.version !== 1 || !Number.isInteger(file.gen) || !Array.isArray(file.acked) || !Array.isArray(file.deliveries)) throw new Error('unexpected shape');
      } catch (e) {
        throw new BusStorageCorruptError(`${statePath} is not a subscription state file: ${(e as Error).message}`, {
          context: { file: statePath },
          hint: 'restore it from a backup, or delete the subscription directory to start the subscription afresh',
        });
      }
    }
    const state: SubscriptionSnapshotState = {
      acked: file.acked.map(([a, b]) => [a, b]),
      deliveries: new Map(file.deliveries.map(([o, attempts, leaseExpiry, availableAt]) => [o, { attempts, leaseExpiry, availableAt }])),
    };
    const journalPath = join(dir, `journal-${file.gen}.log`);
    const fd = openNoFollow(journalPath, 'a+');
    let size: number;
    try {
      size = replay(fd, journalPath, state, o.warn);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    // Journals of older generations are leftovers of a compaction cut short: their content is in state.json.
    for (const n of readdirSync(dir)) {
      const m = /^journal-(\d+)\.log$/.exec(n);
      if (m && Number(m[1]) !== file.gen) rmSync(join(dir, n), { force: true });
    }
    return { journal: new SubscriptionJournal(dir, file.gen, fd, size, o), state };
  }

  /** Appends a record; resolves once it is durable per the fsync policy. */
  append(rec: JournalRecord): Promise<void> {
    const json = JSON.stringify(rec);
    const body = Buffer.from(json, 'utf8');
    const line = Buffer.from(`${crc32(body).toString(16).padStart(8, '0')} ${json}\n`, 'utf8');
    return this.committer.submit({ line });
  }

  /** Writes a fresh snapshot now (after a seek); resolves once it is durable. */
  compact(): Promise<void> {
    return this.committer.submit({ compact: true });
  }

  private async writeRound(items: Item[]): Promise<void> {
    const lines: Buffer[] = [];
    let compact = false;
    for (const it of items) {
      if ('compact' in it) compact = true;
      else lines.push(it.line);
    }
    let n = 0;
    for (const l of lines) n += l.length;
    if (compact || this.bytes + n > this.o.compactBytes) {
      // The in-memory state already holds every record submitted (state changes before its record is queued).
      await this.writeSnapshot();
      return;
    }
    await writevAll(this.fd, lines);
    this.bytes += n;
  }

  private async writeSnapshot(): Promise<void> {
    const s = this.o.snapshot();
    const next = this.gen + 1;
    const file: StateFile = {
      version: 1,
      gen: next,
      acked: s.acked,
      deliveries: [...s.deliveries].map(([o, d]) => [o, d.attempts, d.leaseExpiry, d.availableAt]),
    };
    const fd = openNoFollow(join(this.dir, `journal-${next}.log`), 'w');
    await fdatasync(fd);
    await writeFileAtomicAsync(join(this.dir, 'state.json'), JSON.stringify(file));
    const old = this.fd;
    const oldGen = this.gen;
    this.fd = fd;
    this.gen = next;
    this.bytes = 0;
    fs.closeSync(old);
    rmSync(join(this.dir, `journal-${oldGen}.log`), { force: true });
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    await closeFd(this.fd);
  }
}

/** Applies a journal's records to `state`; cuts a torn last line; refuses damage before valid lines. Returns the size kept. */
function replay(fd: number, path: string, state: SubscriptionSnapshotState, warn: (m: string) => void): number {
  const buf = fs.readFileSync(fd);
  let pos = 0;
  const acked: Array<[number, number]> = state.acked;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    const rec = parseLine(buf, pos, end);
    if (rec === undefined || nl < 0) {
      // Damage: a torn tail if nothing valid follows; otherwise refuse.
      let valid = false;
      for (let p = nl < 0 ? buf.length : nl + 1; p < buf.length; ) {
        const n2 = buf.indexOf(0x0a, p);
        if (n2 < 0) break;
        if (parseLine(buf, p, n2) !== undefined) {
          valid = true;
          break;
        }
        p = n2 + 1;
      }
      if (valid) {
        throw new BusStorageCorruptError(`${path}: damaged journal line at byte ${pos}, followed by valid lines`, {
          context: { file: path, byte: pos },
          hint: 'restore the subscription directory from a backup, or delete it to start the subscription afresh',
        });
      }
      warn(`${path}: cut a torn journal write at byte ${pos} (${buf.length - pos} bytes); the change it held was never acknowledged`);
      fs.ftruncateSync(fd, pos);
      return pos;
    }
    if ('a' in rec) for (const r of rec.a) acked.push([r[0], r[1]]);
    else if ('d' in rec) {
      for (const [o, attempts, leaseExpiry] of rec.d) {
        const d = state.deliveries.get(o);
        state.deliveries.set(o, { attempts, leaseExpiry, availableAt: d?.availableAt ?? 0 });
      }
    } else if ('r' in rec) {
      for (const [o, availableAt] of rec.r) {
        const d = state.deliveries.get(o);
        state.deliveries.set(o, { attempts: d?.attempts ?? 0, leaseExpiry: 0, availableAt });
      }
    }
    pos = end + 1;
  }
  return buf.length;
}

function parseLine(buf: Buffer, start: number, end: number): JournalRecord | undefined {
  if (end - start < 10 || buf[start + 8] !== 0x20) return undefined;
  const want = parseInt(buf.toString('latin1', start, start + 8), 16);
  if (!Number.isFinite(want) || crc32(buf, start + 9, end) !== want) return undefined;
  try {
    const rec = JSON.parse(buf.toString('utf8', start + 9, end)) as JournalRecord;
    return typeof rec === 'object' && rec !== null ? rec : undefined;
  } catch {
    return undefined;
  }
}

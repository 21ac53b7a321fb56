/**
 * `riffle store check` and `riffle store repair` for the embedded metadata store. Check reads the snapshot and the
 * journal without changing anything and says whether the store opens, and if not, where it is damaged and what a
 * repair would lose. Repair (with the store's lock: no scheduler may run) keeps the valid prefix of a corrupt
 * journal and moves the rest to `journal.jsonl.corrupt-<time>`, moves a corrupt snapshot aside when the journal can
 * replace it (or, with `discardSnapshot`, when it cannot), then opens the store (which rewrites an earlier version's
 * files framed) and reports what it holds. Nothing is dropped silently: every byte removed is kept in a `.corrupt-`
 * file and counted in the report.
 * @example
 *   const report = checkJournalStore('.riffle/orchestrator');   // { ok: false, problems: ['journal ... corrupt at line 37 ...'], ... }
 *   const done = await repairJournalStore('.riffle/orchestrator');
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileNoFollow, writeFileAtomic } from '../model/index.ts';
import { MetadataStoreError } from './errors.ts';
import { frameRecord, readSnapshotBytes, scanJournal, type JournalFault, type JournalFormat } from './journal-file.ts';
import { JournalStore } from './journal-store.ts';
import { acquireStoreLock, isAlive } from './store-lock.ts';

export interface StoreCheckReport {
  dir: string;
  /** The store opens as it is (a torn last record or an earlier version's format are handled on open). */
  ok: boolean;
  snapshot: { state: 'none' | 'ok' | 'legacy' | 'corrupt'; bytes: number; seq?: number; reason?: string };
  journal: { format: JournalFormat; bytes: number; records: number; firstSeq?: number; lastSeq?: number; tail?: Omit<JournalFault, 'after'>; corrupt?: Omit<JournalFault, 'after'> };
  lock: { pid?: number; hostname?: string; alive: boolean } | null;
  /** What is wrong, one line each. */
  problems: string[];
  /** What opening would fix by itself (warnings). */
  notes: string[];
  /** What `repair` would do (empty: nothing to repair). */
  repair: string[];
}

const seqOf = (v: unknown) => (v as { s?: number } | undefined)?.s;

/** Reads a store's files and reports on them; changes nothing. */
export function checkJournalStore(dir: string): StoreCheckReport {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MetadataStoreError('STORE_NOT_FOUND', `no metadata store at ${dir}`, { hint: 'pass --store <directory of the store>' });
  const snapBytes = readFileNoFollow(join(dir, 'snapshot.json'));
  const snap = readSnapshotBytes(snapBytes);
  const journalBytes = readFileNoFollow(join(dir, 'journal.jsonl')) ?? Buffer.alloc(0);
  const scan = scanJournal(journalBytes);
  const seqs = scan.records.map((r) => seqOf(r.value)).filter((s): s is number => typeof s === 'number');
  const { after: _a, ...corrupt } = scan.corrupt ?? { after: [] };
  const { after: _b, ...tail } = scan.tail ?? { after: [] };
  const report: StoreCheckReport = {
    dir,
    ok: true,
    snapshot: snap.kind === 'none' ? { state: 'none', bytes: 0 }
      : snap.kind === 'bad' ? { state: 'corrupt', bytes: snapBytes!.length, reason: snap.reason }
      : { state: snap.legacy ? 'legacy' : 'ok', bytes: snapBytes!.length, seq: (snap.value as { seq: number }).seq },
    journal: {
      format: scan.format, bytes: journalBytes.length, records: scan.records.length, ...(seqs.length > 0 && { firstSeq: seqs[0], lastSeq: seqs.at(-1) }),
      ...(scan.tail && { tail: tail as Omit<JournalFault, 'after'> }), ...(scan.corrupt && { corrupt: corrupt as Omit<JournalFault, 'after'> }),
    },
    lock: readLock(dir),
    problems: [],
    notes: [],
    repair: [],
  };
  const stamp = 'corrupt-<time>';
  if (scan.corrupt) {
    const c = scan.corrupt;
    report.ok = false;
    report.problems.push(`journal.jsonl is corrupt at line ${c.line} (byte ${c.offset}): ${c.reason}; ${scan.records.length} valid record(s) before it, ${c.validAfter} after it`);
    report.repair.push(`keep the ${scan.records.length} record(s) before line ${c.line}; move the remaining ${c.bytes} byte(s) (${c.validAfter} valid record(s), whose changes are lost) to journal.jsonl.${stamp}`);
  }
  if (scan.tail) {
    report.notes.push(`journal.jsonl ends in an incomplete record at line ${scan.tail.line} (byte ${scan.tail.offset}, ${scan.tail.bytes} byte(s)): a write interrupted by a crash, never acknowledged; opening the store cuts it`);
  }
  const first = seqs[0];
  if (snap.kind === 'bad') {
    if (first === 1) {
      report.notes.push(`snapshot.json is corrupt (${snap.reason}), but the journal holds every change since the store was made: opening the store rebuilds it`);
    } else {
      report.ok = false;
      report.problems.push(`snapshot.json is corrupt (${snap.reason}) and the journal does not hold the changes before it${first === undefined ? '' : ` (it starts at change ${first})`}`);
      report.repair.push(`only with --discard-snapshot: move snapshot.json to snapshot.json.${stamp} and keep the journal's changes alone (everything recorded before them is lost); otherwise restore snapshot.json from a backup`);
    }
  }
  const snapSeq = snap.kind === 'ok' ? (snap.value as { seq: number }).seq : 0;
  const firstNew = seqs.find((s) => s > snapSeq);
  if (snap.kind !== 'bad' && firstNew !== undefined && firstNew !== snapSeq + 1) {
    report.ok = false;
    report.problems.push(`the journal skips from change ${snapSeq} (the snapshot's last) to change ${firstNew}: changes are missing (files restored from different backups?)`);
  }
  if (scan.format === 'legacy' || snap.kind === 'ok' && snap.legacy) report.notes.push("the store is in an earlier Riffle version's format: its first writable open rewrites it framed (checksummed)");
  if (report.lock?.alive) report.notes.push(`process ${report.lock.pid} holds the store (a running scheduler): stop it before a repair`);
  return report;
}

function readLock(dir: string): StoreCheckReport['lock'] {
  const raw = readFileNoFollow(join(dir, 'store.lock'));
  if (raw === undefined) return null;
  try {
    const h = JSON.parse(raw.toString('utf8')) as { pid?: number; hostname?: string };
    return { ...(h.pid !== undefined && { pid: h.pid }), ...(h.hostname !== undefined && { hostname: h.hostname }), alive: h.pid !== undefined && h.pid !== process.pid && isAlive(h.pid) };
  } catch {
    return { alive: false };
  }
}

export interface StoreRepairReport {
  dir: string;
  /** What was done, one line each (empty: nothing needed). */
  actions: string[];
  /** Files the removed bytes were moved to. */
  movedTo: string[];
  /** Changes lost (valid records cut after a corruption), summarised: `run etl manual__... → success`. */
  lost: { records: number; bytes: number; changes: string[] };
  /** What the store holds after the repair. */
  after: { dags: number; runs: number; taskInstances: number };
}

/** Repairs the store in `dir` (see the module comment). Throws STORE_CORRUPT when it cannot without losing the snapshot. */
export async function repairJournalStore(dir: string, o: { discardSnapshot?: boolean; now?: Date } = {}): Promise<StoreRepairReport> {
  const before = checkJournalStore(dir);
  const stamp = `corrupt-${(o.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}`;
  const report: StoreRepairReport = { dir, actions: [], movedTo: [], lost: { records: 0, bytes: 0, changes: [] }, after: { dags: 0, runs: 0, taskInstances: 0 } };
  const release = acquireStoreLock(dir);
  try {
    const journalPath = join(dir, 'journal.jsonl');
    const buf = readFileNoFollow(journalPath) ?? Buffer.alloc(0);
    const scan = scanJournal(buf);
    const fault = scan.corrupt;
    if (fault) {
      const moved = join(dir, `journal.jsonl.${stamp}`);
      writeFileAtomic(moved, buf.subarray(fault.offset));
      writeFileAtomic(journalPath, buf.subarray(0, fault.offset));
      report.movedTo.push(moved);
      report.lost = { records: fault.validAfter, bytes: fault.bytes, changes: fault.after.map(describeChange) };
      report.actions.push(`kept ${scan.records.length} journal record(s); moved ${fault.bytes} byte(s) from line ${fault.line} (${fault.reason}; ${fault.validAfter} valid record(s) after it) to ${moved}`);
    }
    const snapPath = join(dir, 'snapshot.json');
    const snap = readSnapshotBytes(readFileNoFollow(snapPath));
    if (snap.kind === 'bad') {
      const firstSeq = seqOf(scan.records[0]?.value);
      if (firstSeq !== 1 && !o.discardSnapshot) {
        throw new MetadataStoreError('STORE_CORRUPT', `${snapPath} is corrupt (${snap.reason}) and the journal does not hold the changes before it${firstSeq === undefined ? '' : ` (it starts at change ${firstSeq})`}`, {
          hint: `restore ${snapPath} from a backup, or run the repair again with --discard-snapshot to keep only the journal's changes (everything recorded before them is lost)`,
        });
      }
      const moved = join(dir, `snapshot.json.${stamp}`);
      renameSync(snapPath, moved);
      report.movedTo.push(moved);
      if (firstSeq !== undefined && firstSeq > 1) {
        // An empty snapshot at the change before the journal's first, so that the journal continues it.
        writeFileAtomic(snapPath, frameRecord(JSON.stringify({ seq: firstSeq - 1, dags: [], runs: [], tis: [], xcoms: [] })));
        report.actions.push(`moved the corrupt snapshot to ${moved}; DISCARDED everything recorded before change ${firstSeq} (the journal's first): runs, task instances and DAG settings recorded only in the snapshot are lost`);
      } else if (firstSeq === undefined) {
        report.actions.push(`moved the corrupt snapshot to ${moved}; the journal is empty, so the store is now EMPTY: everything it recorded is lost`);
      } else {
        report.actions.push(`moved the corrupt snapshot to ${moved}; the store is rebuilt from the journal, which holds every change`);
      }
    }
  } finally {
    release();
  }
  if (before.snapshot.state === 'legacy' || before.journal.format === 'legacy') report.actions.push("rewrote the store from an earlier Riffle version's format, framed and checksummed");
  if (before.journal.tail) report.actions.push(`cut an incomplete last journal record (${before.journal.tail.bytes} byte(s), a write interrupted by a crash)`);
  const store = await JournalStore.open({ dir, onWarning: () => undefined }); // what it fixes is reported above
  try {
    report.after = { dags: (await store.listDags()).length, runs: (await store.listDagRuns()).length, taskInstances: (await store.listTaskInstances({})).length };
  } finally {
    await store.close();
  }
  return report;
}

/** One line for a lost journal change. */
function describeChange(value: unknown): string {
  const { s, o } = value as { s?: number; o?: { t?: string; v?: Record<string, unknown>; k?: string } };
  const v = o?.v ?? {};
  const at = `change ${s ?? '?'}: `;
  switch (o?.t) {
    case 'dag': return `${at}dag ${String(v.dagId)}${v.isPaused === undefined ? '' : ` (paused: ${String(v.isPaused)})`}`;
    case 'run': return `${at}run ${String(v.dagId)} ${String(v.runId)} → ${String(v.state)}`;
    case 'ti': return `${at}task ${String(v.dagId)} ${String(v.runId)} ${String(v.taskId)}${Number(v.mapIndex) >= 0 ? `[${String(v.mapIndex)}]` : ''} → ${String(v.state)} (try ${String(v.tryNumber)})`;
    case 'xcom': return `${at}xcom ${String(v.dagId)} ${String(v.runId)} ${String(v.taskId)} ${String(v.key)}`;
    case 'xdel': return `${at}xcom cleared`;
    default: return `${at}unknown change`;
  }
}

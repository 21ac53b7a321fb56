/**
 * The command inbox of a running scheduler. The embedded store has one writer (the scheduler holds its lock), so a
 * CLI command that changes state while a scheduler runs (trigger, clear, mark, pause) drops a JSON file into
 * `<store>/inbox/`; the scheduler applies the files, oldest first, at the start of its next pass (between passes,
 * so that a clear never races the pass deciding the same run) and deletes them.
 * Files are written to a temporary name and renamed, so that the scheduler never reads half a command; neither the
 * inbox nor its files are ever followed through a symbolic link.
 * @example
 *   submitCommand('.riffle/orchestrator', { op: 'pause', dagId: 'etl', paused: true });
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileNoFollow, safeSubdir, writeFileAtomic } from '../model/index.ts';
import { clearTaskInstances, markTaskInstances, setDagPaused, triggerDagRun } from './admin.ts';
import type { Dag } from './dag.ts';
import { SchedulerError } from './errors.ts';
import type { MetadataStore } from './metadata-store.ts';

export type InboxCommand =
  | { op: 'trigger'; dagId: string; logicalDate?: number; conf?: Record<string, unknown> }
  | { op: 'clear'; dagId: string; runId: string; tasks: string[]; downstream?: boolean }
  | { op: 'mark'; dagId: string; runId: string; tasks: string[]; state: 'success' | 'failed'; downstream?: boolean }
  | { op: 'pause'; dagId: string; paused: boolean };

const inboxDir = (storeDir: string) => join(storeDir, 'inbox');

/** Leaves a command for the scheduler running on `storeDir`; returns the file written. */
let submitted = 0;

export function submitCommand(storeDir: string, command: InboxCommand): string {
  const dir = safeSubdir(storeDir, 'inbox');
  // Time, then a per-process sequence: commands sent in the same millisecond keep their order (the random part only
  // keeps names from different processes apart).
  const seq = (submitted++ % 1_000_000).toString().padStart(6, '0');
  const name = `${Date.now().toString().padStart(15, '0')}-${seq}-${randomUUID().slice(0, 8)}.json`;
  writeFileAtomic(join(dir, name), JSON.stringify(command), { durable: false });
  return join(dir, name);
}

/** Commands waiting in the inbox, oldest first, without removing them. */
export function pendingCommands(storeDir: string): string[] {
  try {
    return readdirSync(inboxDir(storeDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort().map((n) => join(inboxDir(storeDir), n));
  } catch {
    return [];
  }
}

/** Applies one command to the store. */
export async function applyCommand(store: MetadataStore, dags: ReadonlyMap<string, Dag>, c: InboxCommand): Promise<string> {
  const dag = dags.get(c.dagId);
  if (!dag) throw new SchedulerError('DAG_NOT_FOUND', `unknown dag '${c.dagId}'`, { hint: `this scheduler runs: ${[...dags.keys()].join(', ') || 'no dags'}` });
  switch (c.op) {
    case 'trigger': {
      const run = await triggerDagRun(store, dag, { ...(c.logicalDate !== undefined && { logicalDate: c.logicalDate }), conf: c.conf ?? {} });
      return `triggered ${dag.id} ${run.runId}`;
    }
    case 'clear': {
      const r = await clearTaskInstances(store, dag, c.runId, c.tasks, { downstream: c.downstream ?? false });
      return `cleared ${r.cleared.length} task instance(s) of ${dag.id} ${c.runId}`;
    }
    case 'mark': {
      const r = await markTaskInstances(store, dag, c.runId, c.tasks, c.state, { downstream: c.downstream ?? false });
      return `marked ${r.marked.length} task instance(s) of ${dag.id} ${c.runId} ${c.state}`;
    }
    case 'pause':
      await setDagPaused(store, dag, c.paused);
      return `${c.paused ? 'paused' : 'unpaused'} ${dag.id}`;
  }
}

/**
 * Applies and deletes every waiting command; `report` receives each outcome (an applied command's summary, or
 * the error that refused it). A file that cannot be read is reported and deleted.
 */
export async function drainInbox(storeDir: string, store: MetadataStore, dags: ReadonlyMap<string, Dag>, report: (message: string, error?: unknown) => void): Promise<number> {
  const files = pendingCommands(storeDir);
  for (const file of files) {
    try {
      const raw = readFileNoFollow(file);
      if (raw === undefined) continue; // taken meanwhile
      const command = JSON.parse(raw.toString('utf8')) as InboxCommand;
      report(await applyCommand(store, dags, command));
    } catch (e) {
      report(`command ${file} refused`, e);
    } finally {
      rmSync(file, { force: true });
    }
  }
  return files.length;
}

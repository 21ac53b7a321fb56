/**
 * `riffle store check|repair`: inspect and repair the embedded metadata store. Exit codes: 0 the store opens (check)
 * or was repaired (repair), 1 it needs a repair (check) or cannot be repaired without a choice only the user can
 * make (repair), 2 usage.
 */
import { checkJournalStore, parseStoreSpec, repairJournalStore, type StoreCheckReport } from '../orchestrator/index.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { DEFAULT_STORE } from './dag-store-access.ts';
import { dagJson } from './dag-support.ts';
import { projectDefaults } from './project-defaults.ts';

/** `riffle store check|repair [--store <dir>] [--discard-snapshot] [--json]`. */
export async function storeAction(cmd: Command, io: CliIO): Promise<number> {
  const sub = cmd.name() as 'check' | 'repair';
  const o = cmd.optsWithGlobals<{ store?: string; json?: boolean; discardSnapshot?: boolean }>();
  const dir = o.store ?? (await projectDefaults(cmd, io)).store ?? DEFAULT_STORE;
  if (parseStoreSpec(dir).kind !== 'journal') throw new UsageError(`riffle store ${sub} works on the embedded store (a directory), not on ${dir.replace(/:[^@/]*@/, ':***@')}`, { hint: 'a PostgreSQL store is checked with PostgreSQL tools' });
  const json = o.json === true;


  if (sub === 'check') {
    const r = checkJournalStore(dir);
    io.out(json ? dagJson(r) : formatCheck(r));
    return r.ok ? ExitCode.ok : ExitCode.failed;
  }
  const r = await repairJournalStore(dir, { discardSnapshot: o.discardSnapshot === true });
  if (json) {
    io.out(dagJson(r));
    return ExitCode.ok;
  }
  const lines = [r.actions.length === 0 ? `metadata store ${dir}: nothing to repair` : `metadata store ${dir}: repaired`];
  for (const a of r.actions) lines.push(`  - ${a}`);
  if (r.lost.records > 0 || r.lost.bytes > 0) {
    lines.push(`  lost: ${r.lost.records} change(s) (${r.lost.bytes} byte(s), kept in ${r.movedTo.join(', ')})`);
    for (const c of r.lost.changes.slice(0, 20)) lines.push(`    ${c}`);
    if (r.lost.changes.length > 20) lines.push(`    ... and ${r.lost.changes.length - 20} more (--json lists them all)`);
  }
  lines.push(`  now: ${r.after.dags} dag(s), ${r.after.runs} run(s), ${r.after.taskInstances} task instance(s)`);
  io.out(lines.join('\n'));
  if (r.lost.records > 0) io.err(`warning: ${r.lost.records} recorded change(s) were lost; runs they touched may run again or show older states (see the list above)`);
  return ExitCode.ok;
}

function formatCheck(r: StoreCheckReport): string {
  const s = r.snapshot;
  const j = r.journal;
  const lines = [
    `metadata store ${r.dir}: ${r.ok ? (r.notes.length > 0 ? 'opens (with notes)' : 'ok') : 'NEEDS REPAIR'}`,
    `  snapshot   ${s.state === 'none' ? 'none' : `${s.state}, ${s.bytes} bytes${s.seq !== undefined ? `, up to change ${s.seq}` : ''}${s.reason ? `: ${s.reason}` : ''}`}`,
    `  journal    ${j.format}, ${j.records} valid record(s), ${j.bytes} bytes${j.firstSeq !== undefined ? `, changes ${j.firstSeq}–${j.lastSeq}` : ''}`,
    `  lock       ${r.lock === null ? 'free' : `${r.lock.pid ?? '?'}@${r.lock.hostname ?? '?'} (${r.lock.alive ? 'running' : 'stale'})`}`,
  ];
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.repair.length > 0) {
    lines.push(`riffle store repair --store ${r.dir} would:`);
    for (const a of r.repair) lines.push(`  - ${a}`);
  }
  return lines.join('\n');
}

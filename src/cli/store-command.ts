/**
 * `riffle store check|repair --store <dir>`: inspect and repair the embedded metadata store (see STORE_HELP).
 * Exit codes: 0 the store opens (check) or was repaired (repair), 1 it needs a repair (check) or cannot be repaired
 * without a choice only the user can make (repair), 2 usage.
 */
import { checkJournalStore, parseStoreSpec, repairJournalStore, type StoreCheckReport } from '../orchestrator/index.ts';
import { parseArgs } from './args.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';

export const STORE_HELP = `usage: riffle store <check|repair> [--store <dir>] [--discard-snapshot] [--json]

Checks or repairs the embedded metadata store (the scheduler's journal and snapshot).

commands:
  check    reads the store without changing it: whether it opens, and where it is damaged (file, line,
           byte offset, reason) and what a repair would lose. Exit 0 if it opens, 1 if it needs a repair.
  repair   with no scheduler running: keeps the valid records before a corrupt one and moves the rest
           to journal.jsonl.corrupt-<time> (listing the changes lost); moves a corrupt snapshot aside
           when the journal holds every change; cuts a torn last record; rewrites an earlier version's
           files. Nothing is deleted: removed bytes are kept in the .corrupt- files.

options:
  --store <dir>        the store directory (default .riffle/orchestrator, or $RIFFLE_ORCHESTRATOR_STORE)
  --discard-snapshot   repair: accept losing a corrupt snapshot the journal cannot replace (everything
                       recorded before the journal's first change is lost); otherwise restore it from a backup
  --json               machine-readable report`;

const OPTIONS = ['store', 'discard-snapshot', 'json', 'help'];

export async function storeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { booleans: ['json', 'help', 'discard-snapshot'] });
  const [sub, ...rest] = positionals;
  if (flags.help === true || sub === undefined) {
    io[flags.help === true ? 'out' : 'err'](STORE_HELP);
    return flags.help === true ? ExitCode.ok : ExitCode.usage;
  }
  for (const name of Object.keys(flags)) if (!OPTIONS.includes(name)) throw new UsageError(`unknown option --${name} for 'riffle store ${sub}'`, { hint: 'riffle store <check|repair> --store <dir> [--discard-snapshot] [--json]' });
  if (sub !== 'check' && sub !== 'repair') throw new UsageError(`unknown store command '${sub}'`, { hint: 'commands: check, repair (riffle store --help)' });
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`, { hint: `riffle store ${sub} --store <dir>` });
  if (sub === 'check' && flags['discard-snapshot'] === true) throw new UsageError("--discard-snapshot is an option of 'riffle store repair'");
  const storeFlag = flags.store;
  if (storeFlag === true) throw new UsageError('--store needs a value');
  const dir = storeFlag || io.env.RIFFLE_ORCHESTRATOR_STORE || '.riffle/orchestrator';
  if (parseStoreSpec(dir).kind !== 'journal') throw new UsageError(`riffle store ${sub} works on the embedded store (a directory), not on ${dir.replace(/:[^@/]*@/, ':***@')}`, { hint: 'a PostgreSQL store is checked with PostgreSQL tools' });
  const json = flags.json === true;

  if (sub === 'check') {
    const r = checkJournalStore(dir);
    io.out(json ? JSON.stringify(r, null, 2) : formatCheck(r));
    return r.ok ? ExitCode.ok : ExitCode.failed;
  }
  const r = await repairJournalStore(dir, { discardSnapshot: flags['discard-snapshot'] === true });
  if (json) {
    io.out(JSON.stringify(r, null, 2));
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

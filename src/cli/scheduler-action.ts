/**
 * `riffle scheduler`: the scheduler and its worker processes until Ctrl-C (or, with --once, until idle). The first
 * Ctrl-C (or SIGTERM) drains: no new work, running attempts get --grace to finish, the rest are handed back.
 */
import { drainInbox, loadDagFolder, openMetadataStore, pendingCommands, ProcessExecutor, Scheduler } from '../orchestrator/index.ts';
import { parseDuration } from '../model/index.ts';
import { ExitCode, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import type { Command } from './command-kit.ts';
import { reportFileErrors, storeLocation, storeName, warnTo } from './dag-store-access.ts';
import { dagContext, dagJson, firstLine, intOption, poolsOf, RUN_HEADERS, runDuration, runRows, tiName, warnPoolsTooSmall } from './dag-support.ts';
import { formatTable } from './table.ts';

/** `--dags-paused-at-creation true|false`, else $RIFFLE_DAGS_ARE_PAUSED_AT_CREATION, else true (as Airflow). */
function pausedAtCreationOf(flag: string | undefined, io: CliIO): boolean {
  const [value, from] = flag !== undefined ? [String(flag), '--dags-paused-at-creation'] : [io.env.RIFFLE_DAGS_ARE_PAUSED_AT_CREATION, 'RIFFLE_DAGS_ARE_PAUSED_AT_CREATION'];
  if (value === undefined || value === '') return true;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`${from} must be true or false, got '${value}'`);
}

/** `--grace`: a duration with a unit (30s, 500ms, 2m), or 0; default 30 s. */
function graceFlag(v: string | undefined): number {
  if (v === undefined) return 30_000;
  if (/^0+$/.test(v.trim())) return 0;
  if (!/^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$/.test(v)) throw new UsageError(`--grace must be a duration such as 30s, 500ms or 2m (or 0), got '${v}'`);
  return parseDuration(v, '--grace');
}

/** `riffle scheduler`: the scheduler and its worker processes, until Ctrl-C (or, with --once, until idle). */
export async function schedulerAction(cmd: Command, io: CliIO): Promise<number> {
  const o = cmd.opts<{ once?: boolean; parallelism?: string; pollMs?: string; grace?: string; pool?: string[]; dagsPausedAtCreation?: string }>();
  const ctx = await dagContext(cmd, io);
  const pools = poolsOf(o.pool ?? []);
  const folder = ctx.folder;
  const spec = ctx.store;
  // The command inbox is the journal store's (one writer); a PostgreSQL store takes commands directly.
  const storeDir = spec.kind === 'journal' ? spec.dir : undefined;
  const once = o.once === true;
  const json = ctx.json;
  const graceMs = graceFlag(o.grace);
  const dagsArePausedAtCreation = pausedAtCreationOf(o.dagsPausedAtCreation, io);
  const parallelism = intOption(o.parallelism, 'parallelism');
  const pollMs = intOption(o.pollMs, 'poll-ms');
  const { dags, errors } = await loadDagFolder(folder);
  reportFileErrors(errors, io);
  if (dags.size === 0) throw new UsageError(`no DAGs in ${folder}`, { hint: errors.length > 0 ? `${errors.length} file(s) failed to load, see above` : 'pass --dags <folder>' });
  warnPoolsTooSmall(dags.values(), pools, io);
  const store = await openMetadataStore(spec, { onWarning: warnTo(io) });
  const touched = new Set<string>();
  const started = Date.now();
  const scheduler = new Scheduler({
    store, dags: dags.values(), executor: new ProcessExecutor({ parallelism: parallelism ?? 8 }), pollMs: pollMs ?? 500, storeLocation: storeLocation(spec), pools, dagsArePausedAtCreation, remoteLogs: ctx.remoteLogs,
    beforePass: storeDir === undefined ? undefined : async () => {
      await drainInbox(storeDir, store, dags, (message, error) => io.err(error ? `${message}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` : message));
    },
    onTaskState: (ti) => {
      touched.add(`${ti.dagId}\u0000${ti.runId}`);
      if (!json) io.err(`${new Date().toISOString().slice(11, 23)} ${ti.dagId} ${ti.runId} ${tiName(ti).padEnd(24)} ${ti.state.padEnd(16)} ${ti.state === 'running' ? `try ${ti.tryNumber}` : ti.duration !== null ? `${ti.duration} ms` : ''}${ti.error && ti.state !== 'success' && ti.state !== 'running' ? `  ${firstLine(ti.error)}` : ''}`);
    },
  });
  // The first Ctrl-C (or SIGTERM) drains: no new work, running attempts get --grace to finish, the rest are handed
  // back (ready again, their try not counted). A second one cuts the grace short.
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      if (!json) io.err(`stopping: no new work; running attempts have ${graceMs / 1000} s to finish (Ctrl-C again to hand them back now)`);
      stopRequested();
    } else scheduler.stopNow();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await scheduler.start();
    if (!json) io.err(`scheduler ${scheduler.id}: ${dags.size} dag(s) from ${folder}, store ${storeName(spec)}${once ? ', until idle' : '; Ctrl-C stops'}`);
    if (!once) {
      await stopped;
      return ExitCode.ok;
    }
    const ids = new Set(dags.keys());
    let interrupted = false;
    void stopped.then(() => (interrupted = true));
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (interrupted) break;
      const active = (await store.listDagRuns({ states: ['queued', 'running'] })).filter((r) => ids.has(r.dagId));
      if (active.length === 0 && (storeDir === undefined || pendingCommands(storeDir).length === 0)) break;
    }
    const processed = (await store.listDagRuns()).filter((r) => touched.has(`${r.dagId}\u0000${r.runId}`) && ids.has(r.dagId));
    const failed = processed.filter((r) => r.state === 'failed');
    if (json) io.out(dagJson({ runs: processed.map((r) => ({ ...r, duration: runDuration(r) })), failed: failed.length, interrupted }));
    else {
      io.out(processed.length === 0 ? 'nothing was due' : formatTable(['dag', ...RUN_HEADERS], processed.map((r) => [r.dagId, ...runRows([r], dags.get(r.dagId)!.timezone)[0]!])));
      io.err(`idle after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return interrupted ? ExitCode.cancelled : failed.length > 0 ? ExitCode.failed : ExitCode.ok;
  } finally {
    await scheduler.stop({ graceMs: signals > 1 ? 0 : graceMs });
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await store.close();
  }
}
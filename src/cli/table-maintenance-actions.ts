/**
 * `riffle table optimize|vacuum|restore`: maintenance — compact or Z-order files, delete files no version within the
 * retention needs, make an earlier version current again.
 */
import { isRiffleError, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';
import { intFlag, listFlag, metricsLines, open, sizeFlag, stringFlag, timestampFlag, whereFlag, type Flags } from './table-options.ts';
import { formatNumber } from './table.ts';
import { stringify } from './run-report.ts';

export async function optimizeAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const zOrderBy = listFlag(flags, 'zorder-by', 'comma-separated column names (1 to 4)');
  const targetFileSize = sizeFlag(flags, 'target-size');
  const where = whereFlag(flags);
  const result = await (await open(path, flags)).optimize({ zOrderBy, targetFileSize, where });
  if (flags.json === true) {
    io.out(stringify({ table: path, version: result.version ?? null, committed: result.committed, metrics: result.metrics }));
    return 0;
  }
  const m = result.metrics;
  io.out(result.committed
    ? `optimized ${path}${zOrderBy ? ` (Z-order by ${zOrderBy.join(', ')})` : ''}: ${formatNumber(m.numFilesRemoved)} files → ${formatNumber(m.numFilesAdded)}; version ${result.version}`
    : `optimized ${path}: nothing to do (no commit)`);
  io.out(metricsLines(m as unknown as Record<string, unknown>));
  return 0;
}

export async function vacuumAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const retention = stringFlag(flags, 'retention-hours', 'a number of hours');
  let retentionHours: number | undefined;
  if (retention !== undefined) {
    retentionHours = Number(retention);
    if (!/^\d+(\.\d+)?$/.test(retention.trim()) || !Number.isFinite(retentionHours)) throw new UsageError(`--retention-hours must be a number of hours (e.g. 168), got '${retention}'`);
  }
  const dryRun = flags['dry-run'] === true;
  const table = await open(path, flags);
  let result;
  try {
    result = await table.vacuum({ retentionHours, dryRun, enforceRetentionDuration: flags.force !== true });
  } catch (e) {
    if (!(isRiffleError(e) && e.code === 'DELTA_INVALID_ARGUMENT' && /below the table's minimum/.test(e.message))) throw e;
    throw new UsageError(e.message.split('\n')[0]!, { hint: 'files younger than the retention may still be read by time travel or by writers on older versions; pass --force only if none are' });
  }
  if (flags.json === true) {
    io.out(stringify({ table: path, dryRun: result.dryRun, filesDeleted: result.filesDeleted, filesSkipped: result.filesSkipped }));
    return 0;
  }
  io.out(`${dryRun ? 'would delete' : 'deleted'} ${formatNumber(result.filesDeleted.length)} file${result.filesDeleted.length === 1 ? '' : 's'}${dryRun ? ' (dry run: nothing deleted)' : ''}`);
  for (const f of result.filesDeleted) io.out(`  ${f}`);
  if (result.filesSkipped.length > 0) {
    io.out(`kept ${formatNumber(result.filesSkipped.length)} file${result.filesSkipped.length === 1 ? '' : 's'} the log never knew whose names are not data-file names (vacuum never deletes those):`);
    for (const f of result.filesSkipped) io.out(`  ${f}`);
  }
  return 0;
}

export async function restoreAction(path: string, flags: Flags, io: CliIO): Promise<number> {
  const version = intFlag(flags, 'version', 'a table version (0, 1, …)');
  const timestamp = timestampFlag(flags, 'timestamp');
  if ((version === undefined) === (timestamp === undefined)) {
    throw new UsageError('riffle table restore: give exactly one of --version N or --timestamp T', { hint: 'usage: riffle table restore <table> --version N | --timestamp T' });
  }
  const result = await (await open(path, flags)).restore(version !== undefined ? { version } : { timestamp: timestamp! });
  if (flags.json === true) {
    io.out(stringify({ table: path, ...result }));
    return 0;
  }
  io.out(result.committed
    ? `restored ${path} to version ${result.restoredVersion} as version ${result.version}`
    : `${path} already matches version ${result.restoredVersion}: nothing to restore (still version ${result.version})`);
  io.out(metricsLines(result.metrics));
  return 0;
}

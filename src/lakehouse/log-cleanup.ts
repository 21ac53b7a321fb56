/**
 * Expired log cleanup (PROTOCOL.md "Metadata Cleanup"; Delta's `delta.enableExpiredLogCleanup`, default true): after
 * a checkpoint, log entries older than `delta.logRetentionDuration` (default 30 days) that no retained version needs
 * are deleted.
 *
 * Strategy: 1. cutoff = now − logRetentionDuration; 2. find the newest checkpoint c whose commit is older than the
 * cutoff (every version committed after the cutoff is ≥ c, so it is rebuilt from c or a later checkpoint plus later
 * commits); 3. delete the commit, checkpoint and .crc files of versions < c that are themselves older than the
 * cutoff. Versions older than the cutoff become unreadable (time travel says so), the rest stay readable.
 */
import type { MetadataAction } from './actions.ts';
import type { DeltaLog } from './delta-log.ts';
import { logRetentionMs } from './table-properties.ts';

const LOG_FILE_RE = /^(\d{20})\.(?:json|crc|checkpoint(?:\.\d{10}\.\d{10})?\.parquet)$/;

/**
 * Deletes expired log files (see the strategy above) and returns the versions whose commit files were deleted.
 * Does nothing when `delta.enableExpiredLogCleanup` is 'false'.
 *
 * @example
 * await cleanupExpiredLogs(table.log, (await table.snapshot()).metadata);
 */
export async function cleanupExpiredLogs(log: DeltaLog, metadata: MetadataAction, now = Date.now()): Promise<number[]> {
  if (metadata.configuration['delta.enableExpiredLogCleanup'] === 'false') return [];
  const cutoff = now - logRetentionMs(metadata);
  const { checkpoints } = await log.list();
  let boundary = -1;
  for (const c of [...checkpoints].reverse()) {
    // The version's commit time; a checkpoint whose commit is already gone was itself written before the cutoff.
    const t = (await log.fileTime(`${String(c.version).padStart(20, '0')}.json`)) ?? (await log.fileTime(c.files[0]));
    if (t !== undefined && t <= cutoff) { boundary = c.version; break; }
  }
  if (boundary <= 0) return [];
  const deleted: number[] = [];
  for (const name of await log.listNames()) {
    const m = LOG_FILE_RE.exec(name);
    if (!m || Number(m[1]) >= boundary) continue;
    const t = await log.fileTime(name);
    if (t === undefined || t > cutoff) continue;
    await log.deleteFile(name);
    if (name.endsWith('.json')) deleted.push(Number(m[1]));
  }
  return deleted.sort((a, b) => a - b);
}

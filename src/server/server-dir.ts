/**
 * The server's directory (`riffle server --dir DIR`) and how files in it are written: a record is replaced atomically
 * (written to a temporary file, synced, renamed over the old one), a log line is appended in one write (so that two
 * processes appending at once never interleave within a line).
 *
 *   DIR/tokens.jsonl              tokens: {id, role, hash, createdAt, name} lines, and {id, revokedAt} lines
 *   DIR/audit.jsonl               one line per mutating API call
 *   DIR/lineage.jsonl             OpenLineage RunEvents of the jobs (START, COMPLETE / FAIL / ABORT)
 *   DIR/jobs/<id>/job.json        a job's record
 *   DIR/jobs/<id>/events.jsonl    its graph, progress and result (src/observe/job-events.ts)
 *   DIR/jobs/<id>/stdout.json     its `riffle run --json` report
 *   DIR/jobs/<id>/log.txt         its log (stderr)
 *   DIR/orchestrator/             the orchestrator's metadata store, unless --store names another
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerPaths {
  readonly dir: string;
  readonly tokens: string;
  readonly audit: string;
  readonly lineage: string;
  readonly jobs: string;
  readonly orchestrator: string;
}

export function serverPaths(dir: string): ServerPaths {
  return { dir, tokens: join(dir, 'tokens.jsonl'), audit: join(dir, 'audit.jsonl'), lineage: join(dir, 'lineage.jsonl'), jobs: join(dir, 'jobs'), orchestrator: join(dir, 'orchestrator') };
}

/** Writes `text` to `path` atomically: readers see the old content or the new one, never a part. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Appends one line (a JSON value) in a single write with O_APPEND, and syncs it. */
export function appendJsonLine(path: string, value: unknown): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

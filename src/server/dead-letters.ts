/**
 * A job's dead letters: the records its steps rejected, as the runner writes them (JSON Lines, one object per record:
 * step, error, time, origin, and the element — `element` as JSON, or raw bytes as base64 in `elementBase64`,
 * src/runner/local/dead-letter-file.ts). The server's jobs write theirs under DIR/jobs/<id>/dead-letters/
 * ($RIFFLE_DEAD_LETTER_DIR); a path the job's report names instead is read when it is inside the project.
 * Browsing counts the records by step and by reason and pages through them; replay writes selected records' elements
 * as JSON Lines (raw bytes as their text) to a file inside the project — a chosen sink — and can submit the job's
 * pipeline again with one parameter pointing at that file.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ApiError } from './api-error.ts';

export interface DeadLetter {
  readonly index: number;
  readonly step: string;
  readonly error: string;
  readonly time: string | null;
  readonly origin: Record<string, unknown> | null;
  /** The element as JSON (null when it was raw bytes: see `raw`). */
  readonly element: unknown;
  /** Raw bytes, base64 (a reader's undecodable record). */
  readonly raw: string | null;
  readonly excerpt: boolean;
}

/** The dead-letter files of a job, oldest first. */
export function deadLetterFiles(jobDirPath: string, projectDir: string): string[] {
  const dir = join(jobDirPath, 'dead-letters');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(dir, f)) : [];
  try {
    const report = JSON.parse(readFileSync(join(jobDirPath, 'stdout.json'), 'utf8')) as { deadLetters?: { path?: string | null } };
    const named = report.deadLetters?.path;
    if (typeof named === 'string') {
      const abs = resolve(projectDir, named);
      const rel = relative(projectDir, abs);
      if (!rel.startsWith('..') && existsSync(abs) && !files.includes(abs)) files.push(abs);
    }
  } catch {
    // no report (yet)
  }
  return files;
}

/** Every record of the files, numbered from 0 in file order. */
export function readDeadLetters(files: readonly string[]): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a torn last line of a killed job
      }
      out.push({
        index: out.length, step: String(r.step ?? ''), error: String(r.error ?? ''), time: typeof r.time === 'string' ? r.time : null,
        origin: r.origin !== null && typeof r.origin === 'object' ? (r.origin as Record<string, unknown>) : null,
        element: 'elementBase64' in r ? null : (r.element ?? null), raw: typeof r.elementBase64 === 'string' ? r.elementBase64 : null, excerpt: r.elementExcerpt === true,
      });
    }
  }
  return out;
}

/** Counts by step and by reason (the error's first line, cut at 200 characters). */
export function summarize(records: readonly DeadLetter[]): { count: number; byStep: Record<string, number>; byReason: Array<{ reason: string; count: number }> } {
  const byStep: Record<string, number> = {};
  const reasons = new Map<string, number>();
  for (const r of records) {
    byStep[r.step] = (byStep[r.step] ?? 0) + 1;
    const reason = r.error.split('\n')[0]!.slice(0, 200);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return { count: records.length, byStep, byReason: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count) };
}

/**
 * Writes the selected records' elements to `target` (relative to the project, inside it, not existing yet) as JSON
 * Lines: a JSON element as its JSON, raw bytes as their UTF-8 text in a JSON string. Returns the absolute path.
 */
export function writeReplayFile(projectDir: string, target: string, records: readonly DeadLetter[]): string {
  const abs = resolve(projectDir, target);
  const rel = relative(projectDir, abs);
  if (rel === '' || rel.startsWith('..') || resolve(projectDir, rel) !== abs) throw new ApiError(400, 'PATH_OUTSIDE', `'${target}' leads outside the project`, 'give a path relative to the project directory', { key: 'output', expected: 'a relative path inside the project' });
  if (existsSync(abs)) throw new ApiError(409, 'OUTPUT_EXISTS', `'${target}' exists already`, 'choose a new file: replay never overwrites');
  mkdirSync(dirname(abs), { recursive: true });
  const fd = openSync(abs, 'wx', 0o600);
  try {
    for (const r of records) writeSync(fd, `${JSON.stringify(r.raw !== null ? Buffer.from(r.raw, 'base64').toString('utf8') : r.element)}\n`);
  } finally {
    closeSync(fd);
  }
  return abs;
}

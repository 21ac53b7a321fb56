import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { excerpt, RiffleError, type ErrorRecord } from '../../model/index.ts';

/** Records kept in memory for the run's result (the first ones); the file holds them all. */
export const DEAD_LETTERS_KEPT = 100;

/** Bytes of JSON Lines buffered before they are written out. */
const FLUSH_CHARS = 64 * 1024;

/**
 * The default dead-letter file of a run: `riffle-dead-letters/<job>-<run id>.jsonl` under `cwd`, or under
 * `$RIFFLE_DEAD_LETTER_DIR` when that is set (e.g. a test runner keeping the working tree clean).
 * @example defaultDeadLetterPath('quickstart', '20261206T214500Z-3f9a2c') // '<cwd>/riffle-dead-letters/quickstart-20261206T214500Z-3f9a2c.jsonl'
 */
export function defaultDeadLetterPath(jobName: string, runId: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const safe = jobName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'pipeline';
  const dir = env.RIFFLE_DEAD_LETTER_DIR ? resolve(cwd, env.RIFFLE_DEAD_LETTER_DIR) : resolve(cwd, 'riffle-dead-letters');
  return join(dir, `${safe}-${runId}.jsonl`);
}

/** A run id that sorts by time: `20261206T214500Z-3f9a2c`. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Where records nobody consumed from an error output go: every one is appended to a JSON Lines file as it happens
 * (one object per line: step, error, time, origin, and the element — raw text as a string, bytes as base64 in
 * `elementBase64`), so memory stays bounded whatever their number; the first few are also kept for the report.
 * The file is created with the first record: a run without dead letters leaves nothing behind.
 */
export class DeadLetterFile {
  count = 0;
  readonly kept: ErrorRecord[] = [];
  private fd: number | undefined;
  private buffer = '';
  private failed: unknown;

  constructor(readonly path: string) {}

  add(record: ErrorRecord): void {
    this.count++;
    if (this.kept.length < DEAD_LETTERS_KEPT) this.kept.push(record);
    if (this.failed !== undefined) return;
    this.buffer += `${serialize(record)}\n`;
    if (this.buffer.length >= FLUSH_CHARS) this.flush();
  }

  /** Writes what is buffered (opening the file on first use). */
  flush(): void {
    if (this.buffer === '' || this.failed !== undefined) return;
    try {
      if (this.fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a');
      }
      const text = this.buffer;
      this.buffer = '';
      writeSync(this.fd, text);
    } catch (e) {
      // Reported by close(): the job must not lose records silently, but a full disk here is not a step's fault.
      this.failed = e;
    }
  }

  /** Flushes and closes; throws if the file could not be written (the records would otherwise be lost unseen). */
  close(): void {
    this.flush();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.failed !== undefined) {
      const reason = this.failed instanceof Error ? this.failed.message : String(this.failed);
      this.failed = undefined;
      throw new DeadLetterWriteError(this.path, this.count, reason);
    }
  }
}

/** The dead-letter file could not be written: the rejected records would be lost. */
export class DeadLetterWriteError extends RiffleError {
  constructor(path: string, count: number, reason: string) {
    super('DEAD_LETTER_WRITE_FAILED', `could not write ${count} rejected record${count === 1 ? '' : 's'} to the dead-letter file ${path}: ${reason}`, {
      domain: 'external',
      hint: 'give a writable path with --dead-letter PATH (or the deadLetter run option)',
    });
  }
}

/** One JSON line: the record with its element kept whole when JSON can hold it (bytes as base64, others as an excerpt). */
function serialize(record: ErrorRecord): string {
  const { element, ...rest } = record;
  if (element instanceof Uint8Array) return JSON.stringify({ ...rest, elementBase64: Buffer.from(element.buffer, element.byteOffset, element.byteLength).toString('base64') });
  try {
    const text = JSON.stringify({ ...rest, element }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (text !== undefined) return text;
  } catch {
    // cycles and the like: fall through to an excerpt
  }
  return JSON.stringify({ ...rest, element: excerpt(element, 10_000), elementExcerpt: true });
}

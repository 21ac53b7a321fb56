import type { Progress } from '../index.ts';
import { formatNumber } from './table.ts';

/** Where progress goes: stderr, or a fake in tests. */
export interface ProgressSink {
  write(text: string): void;
  /** On a terminal one line is redrawn in place; elsewhere (CI logs, files) a line is printed now and then. */
  readonly isTTY: boolean;
}

export interface ProgressOptions {
  /** Milliseconds since an arbitrary origin (default: performance.now). */
  now?: () => number;
  /** Least time between two redraws on a terminal (default 100 ms). */
  ttyIntervalMs?: number;
  /** Least time between two lines elsewhere, and before the first one (default 5 s). */
  lineIntervalMs?: number;
}

/**
 * Shows the progress of a bounded job: elements read, sources done out of all, bytes estimated, then the stage
 * finishing its work, rejected records, elapsed time.
 * Feed it the engine's `onProgress` reports (`update`), call `tick` from a timer so the elapsed time moves while
 * nothing is read, and `finish` before printing anything else (it clears the terminal line).
 */
export class ProgressReporter {
  private readonly now: () => number;
  private readonly interval: number;
  private readonly started: number;
  private last: Progress | undefined;
  private lastDrawn = -Infinity;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    opts: ProgressOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.interval = sink.isTTY ? (opts.ttyIntervalMs ?? 100) : (opts.lineIntervalMs ?? 5000);
    this.started = this.now();
    // Off a terminal the first line waits one interval, so that short jobs log nothing but their result.
    if (!sink.isTTY) this.lastDrawn = this.started;
  }

  update(p: Progress): void {
    this.last = p;
    this.tick();
  }

  /** Redraws if there is something to show and the interval has passed. */
  tick(): void {
    const t = this.now();
    if (this.last === undefined || t - this.lastDrawn < this.interval) return;
    this.lastDrawn = t;
    const line = describeProgress(this.last, t - this.started);
    if (this.sink.isTTY) this.sink.write(`\r${line}\x1b[K`);
    else this.sink.write(`${line}\n`);
    this.drawn = true;
  }

  /** Clears the redrawn line on a terminal; prints nothing elsewhere. */
  finish(): void {
    if (this.sink.isTTY && this.drawn) this.sink.write('\r\x1b[K');
    this.drawn = false;
  }
}

/**
 * One line. While reading: `read 12,345 elements · sources 1/2 done · 3.4 MB · 2.1s`; once every input is read,
 * the stage at work: `read 12,345 elements · finishing 'CountWords/Combine' · 45,678 elements out · 2.1s`. Rejected
 * records, if any, are counted before the time.
 */
export function describeProgress(p: Progress, elapsedMs: number): string {
  const parts = [`read ${formatNumber(p.elementsRead)} element${p.elementsRead === 1 ? '' : 's'}`];
  if (p.phase === 'finishing') {
    parts.push(p.step !== undefined ? `finishing '${p.step}'` : 'finishing');
    parts.push(`${formatNumber(p.elementsProcessed)} element${p.elementsProcessed === 1 ? '' : 's'} out`);
  } else {
    parts.push(`sources ${p.sourcesDone}/${p.sources} done`);
    if (p.bytesEstimated > 0) parts.push(formatBytes(p.bytesEstimated));
  }
  if (p.deadLetters > 0) parts.push(`${formatNumber(p.deadLetters)} rejected`);
  parts.push(formatDuration(elapsedMs));
  return parts.join(' · ');
}

/** `512 B`, `3.4 KB`, `12.0 MB` (powers of 1024). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** `850ms`, `12.3s`, `4m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

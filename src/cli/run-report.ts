import { isAbsolute, relative } from 'node:path';
import { excerpt, type PipelineResult } from '../model/index.ts';
import { formatDuration } from './progress.ts';
import { formatTable } from './table.ts';

/** Dead letters shown in the human report, and kept in the JSON one. */
export const DEAD_LETTERS_SHOWN = 5;
export const DEAD_LETTERS_IN_JSON = 100;

/**
 * The end-of-run report for people: the state and duration, a table of step metrics, user counters, distributions
 * and gauges (sections only when there is something in them), then the dead-letter count and the first few.
 */
export function formatRunReport(pipeline: string, result: PipelineResult, cwd = process.cwd()): string {
  const { metrics } = result;
  const out: string[] = [`${pipeline}: ${result.state} in ${formatDuration(result.durationMs)}`, ''];
  out.push(
    formatTable(
      ['step', 'kind', 'in', 'out', 'dropped late', 'errors'],
      metrics.steps.map((s) => [s.step, s.kind, s.elementsIn, s.elementsOut, s.droppedLate, s.errors]),
    ),
  );
  const counters = Object.entries(metrics.counters);
  if (counters.length > 0) out.push('', formatTable(['counter', 'value'], counters));
  const distributions = Object.entries(metrics.distributions);
  if (distributions.length > 0) {
    out.push('', formatTable(['distribution', 'count', 'sum', 'min', 'max', 'mean'], distributions.map(([name, d]) => [name, d.count, d.sum, d.min, d.max, d.mean])));
  }
  const gauges = Object.entries(metrics.gauges);
  if (gauges.length > 0) out.push('', formatTable(['gauge', 'value'], gauges));
  // Memory: only when something was spilled (the figures are always in --json, metrics.memory).
  const memory = metrics.memory;
  if (memory !== undefined && memory.bytesSpilled > 0) {
    out.push('', `memory: peak ${mib(memory.peakBytesInMemory)} of a ${mib(memory.limit)} budget; ${mib(memory.bytesSpilled)} spilled in ${memory.runsWritten} sorted runs`);
  }
  const sinks = result.sinks ?? [];
  if (sinks.length > 0) out.push('', formatTable(['sink', 'writes', 'guarantee'], sinks.map((s) => [s.step, s.sink, s.guarantee])));
  const dead = result.deadLetters;
  const count = result.deadLetterCount ?? dead.length;
  out.push('', `dead letters: ${count}`);
  if (count > 0) {
    const shown = dead.slice(0, DEAD_LETTERS_SHOWN);
    out.push(formatTable(['step', 'reason', 'element'], shown.map((d) => [d.step, truncate(d.error, 100), excerpt(d.element, 60)])));
    const where = result.deadLetterPath !== undefined ? `all in ${displayPath(result.deadLetterPath, cwd)}` : `--json shows the first ${DEAD_LETTERS_IN_JSON}`;
    if (count > shown.length) out.push(`… and ${count - shown.length} more (${where})`);
    else if (result.deadLetterPath !== undefined) out.push(`(written to ${displayPath(result.deadLetterPath, cwd)})`);
  }
  return out.join('\n');
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The end-of-run report for machines: one JSON document. */
export function runReportJson(pipeline: string, result: PipelineResult, cwd = process.cwd()): string {
  return stringify({
    pipeline,
    state: result.state,
    durationMs: result.durationMs,
    metrics: result.metrics,
    // Each sink step: what it writes and its guarantee under restarts ('exactly-once' or 'at-least-once').
    sinks: result.sinks ?? [],
    // Inputs that gave no records (empty files, header-only CSV files, declared columns missing from a header).
    inputWarnings: (result.inputWarnings ?? []).map(({ kind, file, message }) => ({ kind, ...(file !== undefined ? { file: displayPath(file, cwd) } : {}), message })),
    deadLetters: {
      count: result.deadLetterCount ?? result.deadLetters.length,
      first: result.deadLetters.slice(0, DEAD_LETTERS_IN_JSON).map((d) => ({ ...d, element: jsonSafe(d.element) })),
      // Where every one of them is (JSON Lines); null when none were rejected.
      path: result.deadLetterPath !== undefined ? displayPath(result.deadLetterPath, cwd) : null,
    },
  });
}

/** A path relative to `cwd` when it is inside it, else as given. */
export function displayPath(path: string, cwd: string): string {
  const r = relative(cwd, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}

/** JSON with bigints as strings and non-finite numbers as strings (JSON has neither). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

/** The element itself when it survives JSON, else an excerpt of it (cycles, functions, symbols). */
function jsonSafe(element: unknown): unknown {
  try {
    const text = stringify(element);
    return text === undefined ? excerpt(element) : element;
  } catch {
    return excerpt(element);
  }
}

function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

// Runs trigger transcripts against a driver and checks outputs the way Beam's TranscriptTest does.
import type { BoundedWindow, Instant, PaneInfo } from '../../src/model/index.ts';
import { parseTranscript, readTranscriptFile, windowSpelling, type ExpectedOutput, type Transcript, type TranscriptSpec } from './parse.ts';

/** One pane as a transcript sees it. */
export interface TranscriptOutput {
  window: BoundedWindow;
  values: number[];
  timestamp: Instant;
  pane: PaneInfo;
}

/** An executor of transcripts: the outputs produced by each action, by action index (expect/state actions: []). */
export interface TranscriptDriver {
  readonly name: string;
  run(t: Transcript): Promise<TranscriptOutput[][]>;
}

export interface TranscriptResult {
  readonly name: string;
  readonly file: string;
  readonly driver: string;
  readonly passed: boolean;
  /** Why it failed (or, for a transcript expected to fail, the failure it produced). */
  readonly reason?: string;
}

function sameMultiset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  return x.every((v, i) => v === y[i]);
}

/** Partial match: every attribute the expectation states must hold. */
export function matches(actual: TranscriptOutput, e: ExpectedOutput): boolean {
  if (e.window !== undefined) {
    const w = windowSpelling(actual.window);
    if (e.window === 'global' ? w !== 'global' : w === 'global' || w[0] !== e.window[0] || w[1] !== e.window[1]) return false;
  }
  if (e.values !== undefined && !sameMultiset(actual.values, e.values)) return false;
  if (e.timestamp !== undefined && actual.timestamp !== e.timestamp) return false;
  if (e.index !== undefined && actual.pane.index !== e.index) return false;
  if (e.nonspeculativeIndex !== undefined && actual.pane.nonSpeculativeIndex !== e.nonspeculativeIndex) return false;
  if (e.early !== undefined && (actual.pane.timing === 'EARLY') !== e.early) return false;
  if (e.late !== undefined && (actual.pane.timing === 'LATE') !== e.late) return false;
  if (e.onTime !== undefined && (actual.pane.timing === 'ON_TIME') !== e.onTime) return false;
  if (e.final !== undefined && actual.pane.isLast !== e.final) return false;
  return true;
}

export function formatOutput(o: TranscriptOutput): string {
  const w = windowSpelling(o.window);
  const p = o.pane;
  return `{window: ${w === 'global' ? 'global' : `[${w[0]}, ${w[1]}]`}, values: [${[...o.values].sort((a, b) => a - b).join(', ')}], timestamp: ${o.timestamp}, index: ${p.index}, nonspeculative_index: ${p.nonSpeculativeIndex}, timing: ${p.timing}, final: ${p.isLast}}`;
}

function formatExpected(e: ExpectedOutput): string {
  return JSON.stringify(e);
}

/**
 * Checks a driver's outputs against a transcript, as Beam's TranscriptTest: each `expect` consumes outputs produced
 * since the previous non-expect action; any output still unconsumed when the next action runs (or at the end) is an
 * 'Unexpected output'; an expectation that matches no output is an 'Unmatched output'. Throws with that message.
 */
export function checkTranscript(t: Transcript, outputs: readonly TranscriptOutput[][]): void {
  let pending: TranscriptOutput[] = [];
  t.actions.forEach((action, i) => {
    if (action.kind === 'expect') {
      for (const e of action.outputs) {
        const at = pending.findIndex((o) => matches(o, e));
        if (at < 0) throw new Error(`Unmatched output ${formatExpected(e)} at action ${i} in [${pending.map(formatOutput).join(', ')}]`);
        pending.splice(at, 1);
      }
      return;
    }
    if (pending.length > 0) throw new Error(`Unexpected output before action ${i} (${action.kind}): ${pending.map(formatOutput).join(', ')}`);
    pending = [...(outputs[i] ?? [])];
  });
  if (pending.length > 0) throw new Error(`Unexpected output at the end: ${pending.map(formatOutput).join(', ')}`);
}

/** Runs one transcript spec with one driver; a spec with `error:` passes iff it fails with a matching message. */
export async function runTranscript(spec: TranscriptSpec, driver: TranscriptDriver): Promise<TranscriptResult> {
  let failure: string | undefined;
  try {
    const t = parseTranscript(spec);
    checkTranscript(t, await driver.run(t));
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  const base = { name: spec.name, file: spec.file, driver: driver.name };
  if (spec.error !== undefined) {
    if (failure === undefined) return { ...base, passed: false, reason: `expected failure matching /${spec.error}/ but it passed` };
    if (!new RegExp(spec.error).test(failure)) return { ...base, passed: false, reason: `expected failure matching /${spec.error}/, got: ${failure}` };
    return { ...base, passed: true, reason: failure };
  }
  return failure === undefined ? { ...base, passed: true } : { ...base, passed: false, reason: failure };
}

/** Runs every transcript of a file with a driver. */
export async function runTranscriptFile(path: string, driver: TranscriptDriver): Promise<TranscriptResult[]> {
  const results: TranscriptResult[] = [];
  for (const spec of readTranscriptFile(path)) results.push(await runTranscript(spec, driver));
  return results;
}

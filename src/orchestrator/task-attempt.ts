/**
 * Runs one attempt of a task in the current process and reports how it ended: success (with the value passed
 * downstream and, for a branch, the tasks it follows), skipped, failed (retryable or not), or — for a sensor in
 * reschedule mode — "poke again at". Used by the worker process and by in-process runs (`riffle dag test`).
 */
import type { MetadataStore } from './metadata-store.ts';
import { SchedulerError } from './errors.ts';
import { signalOf } from './signals.ts';
import type { Task, TaskContext } from './task.ts';
import { renderTemplate, templateContext } from './template-context.ts';

/** Everything an attempt needs, as plain data (it crosses the process boundary). */
export interface AttemptRequest {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  maxTries: number;
  logicalDate: number;
  dataIntervalStart: number;
  dataIntervalEnd: number;
  timezone: string;
  params: Record<string, unknown>;
  /** Input values by name (TaskFlow), including the mapped element(s). */
  inputs: Record<string, unknown>;
  /** Sensors: when the first poke happened (its timeout counts from there). */
  firstAttemptAt: number | null;
  /** The scheduler's metadata store (a directory or a postgres:// URL), for tasks that read it. */
  metadataStore?: string | undefined;
}

/** Opens a store for one read and closes it (`release`). */
export type StoreOpener = () => Promise<{ store: MetadataStore; release: () => Promise<void> }>;

export type AttemptOutcome =
  | { state: 'success'; value: unknown; followed?: string[] }
  | { state: 'skipped'; reason: string }
  | { state: 'failed'; error: string; retryable: boolean }
  | { state: 'reschedule'; at: number; firstAttemptAt: number };

/** XCom values are small JSON; larger data goes to files or tables, passed by reference. */
export const MAX_XCOM_BYTES = 1_000_000;

/** Runs the attempt; never throws (a thrown error is a failed outcome). */
export async function runAttempt(task: Task<unknown>, req: AttemptRequest, io: { log: (line: string) => void; signal: AbortSignal; openStore?: StoreOpener | undefined }): Promise<AttemptOutcome> {
  const base = templateContext({ ...req, taskId: task.id });
  const ctx: TaskContext<Record<string, unknown>> = {
    ...base,
    inputs: req.inputs,
    logicalDate: new Date(req.logicalDate),
    dataIntervalStart: new Date(req.dataIntervalStart),
    dataIntervalEnd: new Date(req.dataIntervalEnd),
    maxTries: req.maxTries,
    signal: io.signal,
    log: (...args) => io.log(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ')),
    render: (template) => renderTemplate(template, base),
    readMetadata: async (fn) => {
      if (!io.openStore) {
        throw new SchedulerError('NO_METADATA_STORE', `task '${task.id}' reads the metadata store, but this attempt runs without one`, { hint: 'run it under a scheduler with --store (riffle scheduler), not in isolation' });
      }
      const { store, release } = await io.openStore();
      try {
        return await fn(store);
      } finally {
        await release();
      }
    },
  };
  try {
    if (task.kind === 'sensor') return await runSensor(task, ctx, req);
    const value = await task.fn(ctx);
    if (task.kind === 'branch') return branchOutcome(task, value);
    return successOf(task, value);
  } catch (e) {
    const signal = signalOf(e);
    const message = e instanceof Error ? e.message : String(e);
    if (signal === 'skip') return { state: 'skipped', reason: message };
    if (signal === 'fail') return { state: 'failed', error: message, retryable: false };
    if (e instanceof Error && e.stack) io.log(e.stack);
    return { state: 'failed', error: message, retryable: true };
  }
}

function successOf(task: Task<unknown>, value: unknown, followed?: string[]): AttemptOutcome {
  const json = value === undefined ? undefined : JSON.stringify(value);
  if (json !== undefined && json.length > MAX_XCOM_BYTES) {
    return { state: 'failed', retryable: false, error: `task '${task.id}' returned ${json.length} bytes; values passed between tasks are limited to ${MAX_XCOM_BYTES} bytes — write the data to a file or table and return its path` };
  }
  return { state: 'success', value: json === undefined ? null : JSON.parse(json), ...(followed ? { followed } : {}) };
}

function branchOutcome(task: Task<unknown>, value: unknown): AttemptOutcome {
  const picked = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'object' && v !== null && 'id' in v ? String((v as { id: unknown }).id) : String(v)));
  const downstream = [...task.downstreamIds];
  // A branch may name a task by its full id or by its id within the branch's group.
  const prefix = task.id.includes('.') ? task.id.slice(0, task.id.lastIndexOf('.') + 1) : '';
  const followed = picked.map((id) => (downstream.includes(id) ? id : downstream.includes(prefix + id) ? prefix + id : undefined));
  const unknown = picked.filter((_, i) => followed[i] === undefined);
  if (unknown.length > 0) {
    return { state: 'failed', retryable: false, error: `branch '${task.id}' returned ${unknown.map((u) => `'${u}'`).join(', ')}, which is not among its downstream tasks (${downstream.join(', ') || 'none'})` };
  }
  return successOf(task, followed, followed as string[]);
}

async function runSensor(task: Task<unknown>, ctx: TaskContext<Record<string, unknown>>, req: AttemptRequest): Promise<AttemptOutcome> {
  const opts = task.sensor!;
  const first = req.firstAttemptAt ?? Date.now();
  for (;;) {
    const r = (await task.fn(ctx)) as boolean | { done: boolean; value?: unknown };
    const done = typeof r === 'boolean' ? r : r.done;
    if (done) return successOf(task, typeof r === 'object' ? r.value : undefined);
    const now = Date.now();
    if (now - first >= opts.timeout) {
      const error = `sensor '${task.id}' timed out after ${now - first} ms (timeout ${opts.timeout} ms)`;
      return opts.softFail ? { state: 'skipped', reason: error } : { state: 'failed', error, retryable: false };
    }
    if (opts.mode === 'reschedule') return { state: 'reschedule', at: now + opts.pokeInterval, firstAttemptAt: first };
    ctx.log(`${task.id}: not yet; poking again in ${opts.pokeInterval} ms`);
    await sleep(Math.min(opts.pokeInterval, first + opts.timeout - now), ctx.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * The worker process: forked by the ProcessExecutor (in its own process group, so that a Ctrl-C meant for the
 * scheduler never reaches it), it imports DAG files (once each), runs one task attempt at a time and reports over
 * IPC: `started`, `log`, `heartbeat`, `result`; the scheduler answers `ack` once the outcome is in the store.
 *
 * The scheduler's death is not the attempt's: a worker that loses its scheduler mid-attempt (the IPC channel closes)
 * keeps running the attempt and records its outcome itself — how depends on the store (`handoff`):
 * - journal store (one writer, held by the scheduler's lock): the outcome and the log lines written meanwhile go to
 *   a per-attempt result file (`attempt-ledger.ts`) that the next scheduler ingests; the worker beats by touching its
 *   attempt file, which is how that scheduler tells a live worker from a vanished one;
 * - PostgreSQL (any process may write): the worker writes heartbeats, log lines and the outcome to the store itself,
 *   with the same compare-and-set the scheduler uses (`recordOutcome`), so that a result recorded twice counts once.
 * While orphaned the worker enforces the attempt's execution timeout itself (the scheduler's timer died with it).
 * An outcome sent but not acknowledged before the channel closed is recorded the same way (the scheduler may have
 * died between receiving and storing it). A worker with no attempt exits as soon as its scheduler goes away.
 */
import { hostname } from 'node:os';
import { format } from 'node:util';
import { AttemptLedger } from './attempt-ledger.ts';
import { recordOutcome } from './attempt-outcome.ts';
import { loadDagFile } from './dag-loader.ts';
import type { Dag } from './dag.ts';
import type { MetadataStore } from './metadata-store.ts';
import { openMetadataStore } from './store-url.ts';
import { runAttempt, type AttemptOutcome, type AttemptRequest, type StoreOpener } from './task-attempt.ts';
import type { Task } from './task.ts';

/** How a worker records an outcome when its scheduler is gone (see above). */
export type Handoff = { kind: 'ledger'; dir: string; token: string } | { kind: 'store'; location: string };

/** Parent → worker. */
export type ParentMessage =
  | { type: 'run'; attemptId: string; dagFile: string; heartbeatMs: number; request: AttemptRequest; timeoutMs?: number | undefined; handoff?: Handoff | undefined }
  | { type: 'ack'; attemptId: string };
export type RunMessage = Extract<ParentMessage, { type: 'run' }>;

/** Worker → parent. */
export type WorkerMessage =
  | { type: 'started'; attemptId: string; pid: number; hostname: string }
  | { type: 'log'; attemptId: string; text: string }
  | { type: 'heartbeat'; attemptId: string }
  | { type: 'result'; attemptId: string; outcome: AttemptOutcome };

interface Current {
  m: RunMessage;
  startedAt: number;
  task: Task<unknown> | undefined;
  dag: Dag | undefined;
  /** Log text written while no scheduler listened (journal handoff: it travels in the result file). */
  orphanLog: string[];
  orphaned: boolean;
  /** Set once the outcome is on its way to the store: a later timeout or completion changes nothing. */
  settling: Promise<void> | undefined;
  ack: (() => void) | undefined;
  /** PostgreSQL handoff: the store this worker writes once orphaned. */
  store: Promise<MetadataStore> | undefined;
}

const dagsByFile = new Map<string, Promise<Dag[]>>();
let current: Current | undefined;

// A scheduler that died leaves the read ends of our pipes closed: writes fail with EPIPE, which must not kill us.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function send(m: WorkerMessage): void {
  if (!process.connected) return;
  // With a callback, a channel that breaks mid-send reports here instead of as an 'error' event that would crash us.
  process.send?.(m, undefined, {}, () => undefined);
}

function log(text: string): void {
  const c = current;
  if (!c) return;
  if (!c.orphaned) return send({ type: 'log', attemptId: c.m.attemptId, text });
  if (c.m.handoff?.kind === 'store') {
    const key = keyOf(c.m);
    void c.store?.then((s) => s.appendLog(key, c.m.request.tryNumber, text)).catch(() => undefined);
  } else c.orphanLog.push(text);
}

// Task code that prints goes to the attempt's log.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) => log(`${format(...args)}\n`);
}

const keyOf = (m: RunMessage) => ({ dagId: m.request.dagId, runId: m.request.runId, taskId: m.request.taskId, mapIndex: m.request.mapIndex });

async function run(m: RunMessage): Promise<void> {
  const c: Current = { m, startedAt: Date.now(), task: undefined, dag: undefined, orphanLog: [], orphaned: false, settling: undefined, ack: undefined, store: undefined };
  current = c;
  send({ type: 'started', attemptId: m.attemptId, pid: process.pid, hostname: hostname() });
  const ledger = m.handoff?.kind === 'ledger' ? new AttemptLedger(m.handoff.dir) : undefined;
  if (m.handoff?.kind === 'ledger') ledger!.markStarted(keyOf(m), m.request.tryNumber, m.handoff.token);
  const beat = setInterval(() => {
    send({ type: 'heartbeat', attemptId: m.attemptId });
    ledger?.beat(keyOf(m), m.request.tryNumber);
    if (c.orphaned && c.store) void c.store.then((s) => s.updateTaskInstance(keyOf(m), { heartbeatAt: Date.now(), pid: process.pid, hostname: hostname() }, { states: ['running'], tryNumber: m.request.tryNumber })).catch(() => undefined);
  }, m.heartbeatMs);
  let outcome: AttemptOutcome;
  try {
    let dags = dagsByFile.get(m.dagFile);
    if (!dags) dagsByFile.set(m.dagFile, (dags = loadDagFile(m.dagFile)));
    c.dag = (await dags).find((d) => d.id === m.request.dagId);
    if (!c.dag) throw new Error(`dag '${m.request.dagId}' is no longer defined in ${m.dagFile}`);
    c.task = c.dag.getTask(m.request.taskId);
    const location = m.request.metadataStore;
    const openStore: StoreOpener | undefined = location === undefined ? undefined : async () => {
      const store = await openMetadataStore(location, { readOnly: true });
      return { store, release: () => store.close() };
    };
    outcome = await runAttempt(c.task, m.request, { log: (line) => log(`${line}\n`), signal: new AbortController().signal, openStore });
  } catch (e) {
    outcome = { state: 'failed', retryable: true, error: `cannot run the task: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    clearInterval(beat);
  }
  await settle(c, outcome);
  // The scheduler's ack and its next 'run' can arrive in one read: the next attempt may already be current here.
  // Clearing it would leave that attempt unseen — its log lines dropped, and an orphaned worker exiting under it.
  if (current === c) current = undefined;
  if (c.orphaned || !process.connected) process.exit(0);
}

/** Hands the outcome to the scheduler; if it is gone before acknowledging, records it through the handoff. */
function settle(c: Current, outcome: AttemptOutcome): Promise<void> {
  return (c.settling ??= deliver(c, outcome));
}

async function deliver(c: Current, outcome: AttemptOutcome): Promise<void> {
  if (!c.orphaned && process.connected) {
    const acked = new Promise<boolean>((resolve) => {
      c.ack = () => resolve(true);
      process.once('disconnect', () => resolve(false));
    });
    send({ type: 'result', attemptId: c.m.attemptId, outcome });
    if (await acked) return;
    c.orphaned = true;
  }
  await recordOrphaned(c, outcome);
}

/** Records the outcome of an attempt whose scheduler is gone (see the strategy above). */
async function recordOrphaned(c: Current, outcome: AttemptOutcome): Promise<void> {
  const h = c.m.handoff;
  const key = keyOf(c.m);
  const tryNumber = c.m.request.tryNumber;
  if (h?.kind === 'ledger') {
    new AttemptLedger(h.dir).writeResult({ ...key, tryNumber, token: h.token, outcome, log: c.orphanLog.join(''), finishedAt: Date.now() });
    return;
  }
  if (h?.kind !== 'store' || !c.task || !c.dag) return; // nowhere to record: the next scheduler hands the attempt back
  const dag = c.dag;
  // A store that is down now may be back in a moment; after that, the next scheduler hands the attempt back.
  for (let i = 0; i < 10; i++) {
    try {
      const store = await (c.store ??= openMetadataStore(h.location));
      const ctx = { id: `worker:${hostname()}:${process.pid}`, store, dags: new Map([[dag.id, dag]]), now: Date.now, dag: () => dag, notify: () => undefined };
      await recordOutcome(ctx, { key, tryNumber, task: c.task }, outcome);
      await store.close();
      return;
    } catch {
      c.store = undefined;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The scheduler is gone: an idle worker exits; a busy one carries on alone (see the strategy above). */
function orphan(): void {
  const c = current;
  if (!c) process.exit(0);
  if (c.orphaned) return;
  // Nowhere to record an outcome (a scheduler given no store location): the attempt is handed back by the next
  // scheduler, so this copy stops now rather than run beside its successor.
  if (c.m.handoff === undefined) killSelf();
  c.orphaned = true;
  if (c.m.handoff?.kind === 'store') {
    const store = openMetadataStore(c.m.handoff.location);
    store.catch(() => undefined); // reported where it is awaited (recordOrphaned retries)
    c.store = store;
  }
  const timeoutMs = c.m.timeoutMs;
  if (timeoutMs !== undefined) {
    const timer = setTimeout(() => {
      const error = `execution timeout: killed after ${timeoutMs} ms (by the task process itself: its scheduler was gone)`;
      void settle(c, { state: 'failed', retryable: true, error }).finally(killSelf);
    }, Math.max(0, c.startedAt + timeoutMs - Date.now()));
    timer.unref();
  }
}

function onMessage(m: ParentMessage): void {
  if (m.type === 'run') void run(m);
  else if (m.type === 'ack' && current?.m.attemptId === m.attemptId) current.ack?.();
}

// Take over from the boot preload (BOOT in executor.ts): its listeners, what it queued while this module loaded,
// whether the scheduler died meanwhile; then its keep-alive timer is no longer needed.
const boot = (globalThis as { riffleWorkerBoot?: { keepAlive: NodeJS.Timeout; queue: ParentMessage[]; disconnected: boolean } }).riffleWorkerBoot;
process.removeAllListeners('message');
process.removeAllListeners('disconnect');
/** Ends this process and whatever it started (a shell command's children share its process group). */
function killSelf(): never {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // not a group leader (started by hand): the process alone
  }
  process.exit(1);
}

process.on('message', onMessage);
process.on('disconnect', orphan);
if (boot) {
  (globalThis as { riffleWorkerBoot?: unknown }).riffleWorkerBoot = undefined;
  clearInterval(boot.keepAlive);
  for (const m of boot.queue) onMessage(m);
  if (boot.disconnected || !process.connected) orphan();
}

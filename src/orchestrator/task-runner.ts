/**
 * The worker process: forked by the ProcessExecutor, it imports DAG files (once each), runs one task attempt at a
 * time and reports over IPC: `started`, `log`, `heartbeat`, `result`. It exits as soon as its parent goes away, so
 * that a killed scheduler never leaves a task running behind the back of its successor.
 */
import { hostname } from 'node:os';
import { format } from 'node:util';
import { loadDagFile } from './dag-loader.ts';
import type { Dag } from './dag.ts';
import { openMetadataStore } from './store-url.ts';
import { runAttempt, type AttemptOutcome, type AttemptRequest, type StoreOpener } from './task-attempt.ts';

/** Parent → worker. */
export interface RunMessage {
  type: 'run';
  attemptId: string;
  dagFile: string;
  heartbeatMs: number;
  request: AttemptRequest;
}

/** Worker → parent. */
export type WorkerMessage =
  | { type: 'started'; attemptId: string; pid: number; hostname: string }
  | { type: 'log'; attemptId: string; text: string }
  | { type: 'heartbeat'; attemptId: string }
  | { type: 'result'; attemptId: string; outcome: AttemptOutcome };

const dagsByFile = new Map<string, Promise<Dag[]>>();
let current: string | undefined;

function send(m: WorkerMessage): void {
  process.send?.(m);
}

// Task code that prints goes to the attempt's log.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) => {
    if (current !== undefined) send({ type: 'log', attemptId: current, text: `${format(...args)}\n` });
  };
}

async function run(m: RunMessage): Promise<void> {
  current = m.attemptId;
  send({ type: 'started', attemptId: m.attemptId, pid: process.pid, hostname: hostname() });
  const beat = setInterval(() => send({ type: 'heartbeat', attemptId: m.attemptId }), m.heartbeatMs);
  let outcome: AttemptOutcome;
  try {
    let dags = dagsByFile.get(m.dagFile);
    if (!dags) dagsByFile.set(m.dagFile, (dags = loadDagFile(m.dagFile)));
    const dag = (await dags).find((d) => d.id === m.request.dagId);
    if (!dag) throw new Error(`dag '${m.request.dagId}' is no longer defined in ${m.dagFile}`);
    const task = dag.getTask(m.request.taskId);
    const location = m.request.metadataStore;
    const openStore: StoreOpener | undefined = location === undefined ? undefined : async () => {
      const store = await openMetadataStore(location, { readOnly: true });
      return { store, release: () => store.close() };
    };
    outcome = await runAttempt(task, m.request, { log: (line) => send({ type: 'log', attemptId: m.attemptId, text: `${line}\n` }), signal: new AbortController().signal, openStore });
  } catch (e) {
    outcome = { state: 'failed', retryable: true, error: `cannot run the task: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    clearInterval(beat);
  }
  send({ type: 'result', attemptId: m.attemptId, outcome });
  current = undefined;
}

process.on('message', (m: RunMessage) => {
  if (m.type === 'run') void run(m);
});
process.on('disconnect', () => process.exit(0));

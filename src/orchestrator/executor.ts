/**
 * Executors run task attempts for the scheduler. `ProcessExecutor` runs each attempt in a worker process (a pool of
 * forked `task-runner.ts` processes, reused up to `maxTasksPerWorker` attempts, like Celery's prefork pool): a crash
 * or a kill is a failed attempt, not a hung run, and an execution timeout kills the process (and its process group:
 * a shell command's children too). `InlineExecutor` runs attempts in the current process (`riffle dag test`,
 * debugging), where a timeout can only abort the signal.
 *
 * Worker processes are not tied to the scheduler's lifetime: each runs in its own process group (a Ctrl-C at the
 * terminal reaches the scheduler only) and, if the scheduler dies, finishes its attempt and records the outcome
 * through the attempt's `handoff` (see `task-runner.ts`). A worker stays busy with an attempt until the scheduler
 * has stored its outcome and calls `release`, so that an outcome is never lost between the two processes.
 * @example
 *   const executor = new ProcessExecutor({ parallelism: 8 });
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AttemptLedger, processState } from './attempt-ledger.ts';
import type { MetadataStore } from './metadata-store.ts';
import { runAttempt, type AttemptOutcome, type AttemptRequest } from './task-attempt.ts';
import type { Handoff, ParentMessage, WorkerMessage } from './task-runner.ts';
import type { Task } from './task.ts';

/** What the executor reports about one attempt. `finished` is called exactly once. */
export interface AttemptEvents {
  started(info: { pid: number; hostname: string }): void;
  heartbeat(): void;
  log(text: string): void;
  finished(outcome: AttemptOutcome): void;
}

export interface AttemptSpec {
  /** Unique per attempt (the scheduler uses `<task instance>#<try>`). */
  attemptId: string;
  /** The module defining the DAG (workers import it). */
  dagFile: string;
  request: AttemptRequest;
  /** Kill the attempt after this many ms. */
  timeoutMs?: number | undefined;
  /**
   * How the worker records the outcome if the scheduler dies first (see `task-runner.ts`); a ledger handoff also has
   * the executor write the attempt file (which process runs it) before the worker gets the attempt.
   */
  handoff?: Handoff | undefined;
}

export interface Executor {
  /** Attempts it runs at once; the scheduler never starts more. */
  readonly parallelism: number;
  start(spec: AttemptSpec, events: AttemptEvents): void;
  /** Ends a running attempt (zombie, timeout, shutdown): it finishes as failed with `reason`. */
  kill(attemptId: string, reason: string): void;
  /** The attempt's outcome is stored: its worker may forget it and take the next attempt (optional: executors
   *  whose workers hold nothing after reporting need not implement it). */
  release?(attemptId: string): void;
  close(): Promise<void>;
}

export interface ProcessExecutorOptions {
  parallelism?: number;
  /** Heartbeat period of workers (default 1s). */
  heartbeatMs?: number;
  /** A worker process exits after this many attempts (default 100; 1 = a fresh process per attempt). */
  maxTasksPerWorker?: number;
}

interface Worker {
  child: ChildProcess;
  attempts: number;
  /** The attempt it runs, or whose outcome waits for `release` (`done`). */
  busy: { attemptId: string; events: AttemptEvents; timer: NodeJS.Timeout | undefined; bootBeat: NodeJS.Timeout | undefined; killReason?: string; done: boolean } | undefined;
}

/** From the sources, workers run task-runner.ts under tsx; compiled, task-runner.js (a .ts DAG file then registers
 * tsx when it loads: see importUserModule). */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const RUNNER = fileURLToPath(new URL(FROM_SOURCES ? './task-runner.ts' : './task-runner.js', import.meta.url));
const LOADER: readonly string[] = FROM_SOURCES ? ['--import', import.meta.resolve('tsx')] : [];
/**
 * Preloaded before anything else in a worker (before tsx): while the worker loads (seconds on a busy machine), it
 * keeps the process alive with a timer and queues what arrives over IPC. Without it, a scheduler dying during those
 * seconds closes the channel — the only handle keeping the event loop alive while the off-thread module loader
 * works — and the worker exits; and a message that arrives before task-runner.ts listens is dropped. task-runner.ts
 * takes the queue over and clears the timer once its own listeners are in place.
 */
const BOOT = `globalThis.riffleWorkerBoot = { keepAlive: setInterval(() => {}, 1e9), queue: [], disconnected: false };
process.on('message', (m) => globalThis.riffleWorkerBoot?.queue.push(m));
process.on('disconnect', () => { if (globalThis.riffleWorkerBoot) globalThis.riffleWorkerBoot.disconnected = true; });`;
const BOOT_URL = `data:text/javascript,${encodeURIComponent(BOOT)}`;

/** Runs attempts in a pool of worker processes. */
export class ProcessExecutor implements Executor {
  readonly parallelism: number;
  private readonly heartbeatMs: number;
  private readonly maxTasksPerWorker: number;
  private readonly workers = new Set<Worker>();
  private readonly byAttempt = new Map<string, Worker>();

  constructor(o: ProcessExecutorOptions = {}) {
    this.parallelism = o.parallelism ?? 8;
    this.heartbeatMs = o.heartbeatMs ?? 1000;
    this.maxTasksPerWorker = o.maxTasksPerWorker ?? 100;
  }

  start(spec: AttemptSpec, events: AttemptEvents): void {
    const worker = [...this.workers].find((w) => w.busy === undefined && w.child.connected && w.attempts < this.maxTasksPerWorker) ?? this.spawn();
    worker.attempts++;
    // Until the worker reports 'started' (a fresh process may take seconds to load on a busy machine), the executor
    // beats for it: the process exists, and its exit would end the attempt. A stuck load is an execution timeout's job.
    const bootBeat = setInterval(() => events.heartbeat(), this.heartbeatMs);
    const busy: NonNullable<Worker['busy']> = { attemptId: spec.attemptId, events, timer: undefined, bootBeat, done: false };
    worker.busy = busy;
    this.byAttempt.set(spec.attemptId, worker);
    if (spec.timeoutMs !== undefined) {
      busy.timer = setTimeout(() => this.kill(spec.attemptId, `execution timeout: killed after ${spec.timeoutMs} ms`), spec.timeoutMs);
    }
    const { request, handoff } = spec;
    if (handoff?.kind === 'ledger' && worker.child.pid !== undefined) {
      // Before the worker can start: a scheduler killed right after this line leaves a record of who runs the attempt.
      const pid = worker.child.pid;
      new AttemptLedger(handoff.dir).writeAttempt({
        dagId: request.dagId, runId: request.runId, taskId: request.taskId, mapIndex: request.mapIndex, tryNumber: request.tryNumber,
        token: handoff.token, pid, hostname: hostname(), processStart: processState(pid).start, startedAt: Date.now(),
      });
    }
    const message: ParentMessage = { type: 'run', attemptId: spec.attemptId, dagFile: spec.dagFile, heartbeatMs: this.heartbeatMs, request, timeoutMs: spec.timeoutMs, handoff };
    worker.child.send(message, undefined, {}, () => undefined); // a worker that died meanwhile reports through 'exit'
  }

  kill(attemptId: string, reason: string): void {
    const w = this.byAttempt.get(attemptId);
    if (!w?.busy || w.busy.attemptId !== attemptId || w.busy.done) return;
    w.busy.killReason ??= reason;
    killGroup(w.child);
  }

  release(attemptId: string): void {
    const w = this.byAttempt.get(attemptId);
    this.byAttempt.delete(attemptId);
    if (!w?.busy || w.busy.attemptId !== attemptId) return;
    w.busy = undefined;
    if (!w.child.connected) return;
    const ack: ParentMessage = { type: 'ack', attemptId };
    w.child.send(ack, undefined, {}, () => undefined);
    if (w.attempts >= this.maxTasksPerWorker) w.child.disconnect();
  }

  async close(): Promise<void> {
    const exits = [...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      killGroup(w.child);
    }));
    await Promise.all(exits);
  }

  private spawn(): Worker {
    // detached: a process group (and session) of its own, so that neither a terminal's Ctrl-C nor the scheduler's
    // death takes the worker down; it goes when its attempt is done (see task-runner.ts).
    const child = fork(RUNNER, [], { execArgv: ['--import', BOOT_URL, ...LOADER], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const worker: Worker = { child, attempts: 0, busy: undefined };
    this.workers.add(worker);
    // Output that bypasses console (native code, child processes) still lands in the attempt's log.
    const forward = (chunk: Buffer) => worker.busy?.events.log(chunk.toString());
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.on('message', (m: WorkerMessage) => this.onMessage(worker, m));
    child.on('exit', (code, signal) => {
      this.workers.delete(worker);
      const b = worker.busy;
      if (b && !b.done) {
        const error = b.killReason ?? `the task process ${child.pid} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`;
        this.finish(worker, { state: 'failed', retryable: true, error });
      }
    });
    child.on('error', () => {
      // 'exit' follows and reports the attempt
    });
    return worker;
  }

  private onMessage(worker: Worker, m: WorkerMessage): void {
    const b = worker.busy;
    if (!b || b.attemptId !== m.attemptId || b.done) return;
    if (m.type === 'started') {
      clearInterval(b.bootBeat);
      b.bootBeat = undefined;
      b.events.started({ pid: m.pid, hostname: m.hostname });
    }
    else if (m.type === 'heartbeat') b.events.heartbeat();
    else if (m.type === 'log') b.events.log(m.text);
    else if (m.type === 'result') this.finish(worker, m.outcome);
  }

  /** Reports the outcome; the worker stays reserved for the attempt until `release` (or its exit). */
  private finish(worker: Worker, outcome: AttemptOutcome): void {
    const b = worker.busy!;
    b.done = true;
    if (b.timer) clearTimeout(b.timer);
    if (b.bootBeat) clearInterval(b.bootBeat);
    b.events.finished(outcome);
  }
}

/** Kills a worker and whatever it started (its process group: it was forked detached). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Runs attempts in this process: for `riffle dag test` and tests. Tasks come from `resolveTask`; tasks that read the
 * metadata store (`ctx.readMetadata`) read `store` (the scheduler's, shared in memory) if given.
 */
export class InlineExecutor implements Executor {
  private readonly running = new Map<string, { controller: AbortController; finish: (o: AttemptOutcome) => void }>();

  constructor(
    private readonly resolveTask: (dagId: string, taskId: string) => Task<unknown>,
    readonly parallelism = 16,
    private readonly heartbeatMs = 1000,
    private readonly store?: MetadataStore,
  ) {}

  start(spec: AttemptSpec, events: AttemptEvents): void {
    const controller = new AbortController();
    let done = false;
    const finish = (o: AttemptOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(beat);
      this.running.delete(spec.attemptId);
      events.finished(o);
    };
    this.running.set(spec.attemptId, { controller, finish });
    const timer = spec.timeoutMs === undefined ? undefined : setTimeout(() => this.kill(spec.attemptId, `execution timeout: aborted after ${spec.timeoutMs} ms`), spec.timeoutMs);
    // Beats while the event loop turns: a task that blocks it stops beating and becomes a zombie, as in a worker.
    const beat = setInterval(() => events.heartbeat(), this.heartbeatMs);
    events.started({ pid: process.pid, hostname: hostname() });
    void Promise.resolve()
      .then(() => runAttempt(this.resolveTask(spec.request.dagId, spec.request.taskId), spec.request, {
        log: (line) => events.log(`${line}\n`), signal: controller.signal, openStore: this.openStore(),
      }))
      .then(finish, (e: unknown) => finish({ state: 'failed', retryable: true, error: e instanceof Error ? e.message : String(e) }));
  }

  private openStore() {
    const store = this.store;
    return store && (async () => ({ store, release: async () => undefined }));
  }

  release(): void {
    // the attempt ran in this process: nothing holds it
  }

  kill(attemptId: string, reason: string): void {
    const r = this.running.get(attemptId);
    if (!r) return;
    r.controller.abort(new Error(reason));
    r.finish({ state: 'failed', retryable: true, error: reason });
  }

  async close(): Promise<void> {
    for (const id of [...this.running.keys()]) this.kill(id, 'executor closed');
  }
}

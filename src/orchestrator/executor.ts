/**
 * Executors run task attempts for the scheduler. `ProcessExecutor` runs each attempt in a worker process (a pool of
 * forked `task-runner.ts` processes, reused up to `maxTasksPerWorker` attempts, like Celery's prefork pool): a crash
 * or a kill is a failed attempt, not a hung run, and an execution timeout kills the process. `InlineExecutor` runs
 * attempts in the current process (`riffle dag test`, debugging), where a timeout can only abort the signal.
 * @example
 *   const executor = new ProcessExecutor({ parallelism: 8 });
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MetadataStore } from './metadata-store.ts';
import { runAttempt, type AttemptOutcome, type AttemptRequest } from './task-attempt.ts';
import type { RunMessage, WorkerMessage } from './task-runner.ts';
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
}

export interface Executor {
  /** Attempts it runs at once; the scheduler never starts more. */
  readonly parallelism: number;
  start(spec: AttemptSpec, events: AttemptEvents): void;
  /** Ends a running attempt (zombie, timeout, shutdown): it finishes as failed with `reason`. */
  kill(attemptId: string, reason: string): void;
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
  busy: { attemptId: string; events: AttemptEvents; timer: NodeJS.Timeout | undefined; bootBeat: NodeJS.Timeout | undefined; killReason?: string; done: boolean } | undefined;
}

const RUNNER = fileURLToPath(new URL('./task-runner.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

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
    const worker = [...this.workers].find((w) => w.busy === undefined && w.child.connected) ?? this.spawn();
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
    const message: RunMessage = { type: 'run', attemptId: spec.attemptId, dagFile: spec.dagFile, heartbeatMs: this.heartbeatMs, request: spec.request };
    worker.child.send(message);
  }

  kill(attemptId: string, reason: string): void {
    const w = this.byAttempt.get(attemptId);
    if (!w?.busy || w.busy.attemptId !== attemptId) return;
    w.busy.killReason ??= reason;
    w.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    const exits = [...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      w.child.kill('SIGKILL');
    }));
    await Promise.all(exits);
  }

  private spawn(): Worker {
    const child = fork(RUNNER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
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
    else if (m.type === 'result') {
      this.finish(worker, m.outcome);
      if (worker.attempts >= this.maxTasksPerWorker) worker.child.disconnect();
    }
  }

  private finish(worker: Worker, outcome: AttemptOutcome): void {
    const b = worker.busy!;
    b.done = true;
    if (b.timer) clearTimeout(b.timer);
    if (b.bootBeat) clearInterval(b.bootBeat);
    worker.busy = undefined;
    this.byAttempt.delete(b.attemptId);
    b.events.finished(outcome);
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

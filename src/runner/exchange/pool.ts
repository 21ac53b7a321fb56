/**
 * The coordinator: starts N worker threads that each load one module, wires the exchanges between them (one ring per
 * sender/receiver pair, in shared memory), hands out input splits, relays control commands in lockstep, gathers
 * metrics, and collects each worker's result.
 *
 * Failure is all-or-nothing and prompt: the first worker that reports an error, throws uncaught, exits early
 * (`process.exit`) or is terminated stops the job — every ring and doorbell is aborted (waking whoever waits on one),
 * every worker is terminated, and `result` rejects with a `WorkerFailedError` naming the worker, and the step and
 * element the worker reported. On success every worker has exited before `result` resolves: no thread outlives the
 * job, and the process ends by itself.
 *
 * Worker entry: `runner-worker.ts` next to this file in development (run through tsx, registered inside the worker, as
 * a worker does not apply the parent's `--import tsx` to its entry), `runner-worker.js` in the compiled package (a bundle entry of that name, beside the chunk holding this code).
 *
 * @example
 *   const pool = WorkerPool.start({ workers: 4, module: new URL('./job.ts', import.meta.url), exchanges: ['sums'],
 *     splits: [0, 1, 2, 3, 4, 5, 6, 7], data: { seed: 1 } });
 *   await pool.control({ advanceWatermarkTo: 1000 });   // every worker handled it
 *   const results = await pool.result;                   // one per worker, by index
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { FrameKind, jsonPayload } from './frames.ts';
import { checkWorkers } from './key-group-range.ts';
import { WorkerFailedError, type CoordinatorMessage, type ExchangeWiring, type SerializedError, type WorkerInit, type WorkerMessage } from './protocol.ts';
import { abortRing, allocateDoorbell, allocateRing, Doorbell, RingWriter } from './ring.ts';

export interface WorkerPoolOptions {
  workers: number;
  /** The module each worker imports (a file path or URL); it exports `runWorker(ctx)`. `.ts` modules run through tsx. */
  module: string | URL;
  /** Structured-cloneable data for every worker. */
  data?: unknown;
  /** Data for one worker instead of `data`, with objects to transfer to it (MessagePorts, ArrayBuffers). */
  dataFor?: (index: number) => { data: unknown; transferList?: readonly TransferListItem[] };
  /** The exchanges to allocate: all-to-all rings between the workers, by id. */
  exchanges?: readonly string[];
  /** Bytes per ring (a power of two; default 256 KiB). N workers and E exchanges allocate N·N·E rings. */
  ringBytes?: number;
  /** The job's input splits, handed to workers as they ask (`ctx.nextSplit()`). */
  splits?: readonly unknown[];
  /**
   * Splits are handed out only once every worker said its exchange inputs run (`ctx.started()`) or ended: so no
   * worker reads ahead while another is still loading, whose channels would hold every stage's watermark at its start
   * meanwhile (a timer re-set by each element would then be moved on by the elements read ahead instead of firing).
   */
  splitsOnceStarted?: boolean;
  /**
   * Holds a worker's split request while it is true for the next split (`next`) and the splits the other workers are
   * reading (`reading`: the split each was handed last and has not asked past; undefined for none). It is asked again
   * whenever a worker asks for a split or ends. Parts in event-time order use it so that no worker reads far ahead of
   * the slowest (the job's watermark is the slowest worker's: the state of what the others read ahead is held).
   */
  holdSplit?: (next: unknown, reading: ReadonlyArray<unknown>) => boolean;
  /** The read a split belongs to: a request for one read's split (`ctx.nextSplit(of)`) takes the first of it. */
  splitOf?: (split: unknown) => string;
  maxParallelism?: number;
  /** Per-worker heap limits (Node's resourceLimits), e.g. a share of the job's memory budget. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number };
  /** After a worker reported done, how long it may take to exit before it is terminated (default 2 s). */
  exitGraceMs?: number;
  /** Called with each metrics report of a worker (`ctx.reportMetrics`), as it arrives. */
  onMetrics?: (worker: number, metrics: Record<string, number>) => void;
}

export interface WorkerReport {
  readonly result: unknown;
  readonly metrics: Record<string, number>;
}

interface WorkerState {
  readonly worker: Worker;
  done: boolean;
  exited: boolean;
  exitedPromise: Promise<void>;
  report: WorkerReport | undefined;
  metrics: Record<string, number>;
}

const CONTROL_RING_BYTES = 64 * 1024;

/** The worker entry beside this file, and whether it (or the job module) needs tsx inside the worker. */
function entryOf(moduleUrl: string): { entry: URL; typescript: boolean } {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  return { entry: new URL(ts ? './runner-worker.ts' : './runner-worker.js', here), typescript: ts || /\.[cm]?tsx?$/.test(new URL(moduleUrl).pathname) };
}

function startThread(entry: URL, typescript: boolean, options: ConstructorParameters<typeof Worker>[1]): Worker {
  if (!typescript) return new Worker(entry, options);
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new ConfigError('a TypeScript worker module needs tsx, which is not installed next to Riffle', { hint: 'install tsx (npm i -D tsx), or compile the pipeline module to JavaScript' });
  }
  // A worker does not apply the parent's `--import tsx` to its own entry: register tsx first, then load the entry.
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function moduleUrlOf(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  return new URL(module, `file://${process.cwd()}/`).href;
}

/** Calls `line` for each complete line of a stream (and the unterminated rest at its end). */
function forwardLines(stream: NodeJS.ReadableStream, line: (text: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) line(p);
  });
  stream.on('end', () => {
    if (rest !== '') line(rest);
    rest = '';
  });
}

export class WorkerPool {
  readonly workers: number;
  /** Each worker's result and final metrics, by index; rejects with the first failure. */
  readonly result: Promise<WorkerReport[]>;
  private readonly states: WorkerState[] = [];
  private readonly sharedMemory: SharedArrayBuffer[] = [];
  private readonly doorbells: SharedArrayBuffer[] = [];
  private readonly controlWriters: RingWriter[] = [];
  private readonly controlRings: SharedArrayBuffer[] = [];
  private readonly controlWrites: Promise<void>[] = [];
  private readonly splits: unknown[];
  /** With `splitsOnceStarted`: the workers that said they started (undefined: no wait). */
  private readonly started: Set<number> | undefined;
  private readonly holdSplit: WorkerPoolOptions['holdSplit'];
  private readonly splitOf: WorkerPoolOptions['splitOf'];
  /** Split requests not answered yet, in arrival order. */
  private readonly splitRequests: Array<{ index: number; id: number; of: string | undefined }> = [];
  /** The split each worker was handed last for each read and has not asked past (it is reading it), by worker and read. */
  private readonly reading = new Map<string, unknown>();
  private failure: RiffleError | undefined;
  private settle!: { resolve: (r: WorkerReport[]) => void; reject: (e: unknown) => void };
  private controlSeq = 0;
  /** Control commands not yet handled, with the workers that still have to (a finished worker needs not). */
  private readonly acks = new Map<number, { waiting: Set<number>; replies: unknown[]; resolve: (replies: unknown[]) => void; reject: (e: unknown) => void }>();
  private readonly exitGraceMs: number;
  private stopped = false;
  private readonly onMetrics: WorkerPoolOptions['onMetrics'];

  private constructor(options: WorkerPoolOptions) {
    const { workers, maxParallelism } = checkWorkers(options.workers, options.maxParallelism);
    this.workers = workers;
    this.splits = [...(options.splits ?? [])];
    if (options.splitsOnceStarted === true) this.started = new Set<number>();
    this.holdSplit = options.holdSplit;
    this.splitOf = options.splitOf;
    this.exitGraceMs = options.exitGraceMs ?? 2000;
    this.onMetrics = options.onMetrics;
    this.result = new Promise<WorkerReport[]>((resolve, reject) => (this.settle = { resolve, reject }));
    // Callers that only await `pool.result` see the rejection there; this keeps an unobserved one from crashing.
    this.result.catch(() => {});

    const ringBytes = options.ringBytes ?? 256 * 1024;
    const wirings: Record<string, ExchangeWiring>[] = Array.from({ length: workers }, () => ({}));
    for (const id of options.exchanges ?? []) {
      const bells = Array.from({ length: workers }, () => this.doorbell());
      const rings = Array.from({ length: workers }, () => Array.from({ length: workers }, () => this.ring(ringBytes)));
      for (let w = 0; w < workers; w++) {
        wirings[w]![id] = { outRings: rings[w]!, outDoorbells: bells, inRings: rings.map((row) => row[w]!), doorbell: bells[w]! };
      }
    }
    const moduleUrl = moduleUrlOf(options.module);
    if (moduleUrl.startsWith('file:') && !existsSync(fileURLToPath(moduleUrl))) {
      throw new ConfigError(`the worker module ${fileURLToPath(moduleUrl)} does not exist`, { hint: 'pass the path or URL of a module that exports runWorker(ctx)' });
    }
    const { entry, typescript } = entryOf(moduleUrl);
    for (let index = 0; index < workers; index++) {
      const control = { ring: this.ring(CONTROL_RING_BYTES), doorbell: this.doorbell() };
      this.controlWriters.push(new RingWriter(control.ring, control.doorbell));
      this.controlRings.push(control.ring);
      this.controlWrites.push(Promise.resolve());
      const own = options.dataFor?.(index);
      const init: WorkerInit = { index, workers, maxParallelism, moduleUrl, data: own ? own.data : options.data, exchanges: wirings[index]!, control };
      const worker = startThread(entry, typescript, {
        workerData: init,
        // Workers' console output goes through this thread's console, line by line: wherever the caller sends it
        // (the CLI's --json moves it to stderr, so the report stays alone on stdout).
        stdout: true,
        ...(own?.transferList ? { transferList: [...own.transferList] } : {}),
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      });
      let exited!: () => void;
      const state: WorkerState = { worker, done: false, exited: false, exitedPromise: new Promise((r) => (exited = r)), report: undefined, metrics: {} };
      this.states.push(state);
      forwardLines(worker.stdout, (line) => console.log(line));
      worker.on('message', (m: WorkerMessage) => this.onMessage(index, m));
      worker.on('error', (e) => this.fail(index, 'threw an uncaught error', { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) }));
      worker.on('exit', (code) => {
        state.exited = true;
        exited();
        // Messages posted just before the exit may still be queued: look at them first.
        setImmediate(() => {
          if (!state.done) this.fail(index, `exited (code ${code}) before finishing`);
          else this.maybeFinish();
        });
      });
    }
  }

  /** Starts the workers (validating the options first: a bad worker count throws here, before any thread starts). */
  static start(options: WorkerPoolOptions): WorkerPool {
    return new WorkerPool(options);
  }

  private ring(bytes: number): SharedArrayBuffer {
    const r = allocateRing(bytes);
    this.sharedMemory.push(r);
    return r;
  }

  private doorbell(): SharedArrayBuffer {
    const d = allocateDoorbell();
    this.doorbells.push(d);
    return d;
  }

  /** The latest metrics each worker reported, by index. */
  metrics(): Record<string, number>[] {
    return this.states.map((s) => s.metrics);
  }

  /**
   * Sends a command to every worker, in-band on its control ring, and resolves once every worker's handler has
   * finished it: the lockstep TestStream needs (a watermark advance reaches all workers before the next element).
   */
  async control(command: unknown): Promise<void> {
    await this.request(command);
  }

  /**
   * `control`, resolving with each worker's reply (what its handler returned), by index: undefined for a worker that
   * had finished (or returned nothing).
   */
  async request(command: unknown): Promise<unknown[]> {
    if (this.failure) throw this.failure;
    const seq = this.controlSeq++;
    const payload = jsonPayload({ seq, command });
    const running = this.states.flatMap((s, i) => (s.done ? [] : [i]));
    const replies = new Array<unknown>(this.workers).fill(undefined);
    if (running.length === 0) return replies;
    const acked = new Promise<unknown[]>((resolve, reject) => this.acks.set(seq, { waiting: new Set(running), replies, resolve, reject }));
    acked.catch(() => {});
    for (const i of running) {
      // One writer per ring: commands to a worker are written one after the other, even when control() is not awaited.
      // A worker that finishes without reading them is acknowledged by its `done`; its ring is aborted at the end.
      const writer = this.controlWriters[i]!;
      this.controlWrites[i] = this.controlWrites[i]!.then(() => writer.writeFrame(FrameKind.CONTROL, 0, payload)).catch(() => {});
    }
    return acked;
  }

  /** Stops the job: every worker is terminated; `result` rejects with `reason`. */
  async cancel(reason = 'the job was cancelled'): Promise<void> {
    this.stop(new RiffleError('JOB_CANCELLED', reason, { domain: 'user' }));
    await Promise.all(this.states.map((s) => s.exitedPromise));
  }

  /**
   * Terminates one worker thread as a crash would (tests of failure handling; the kill tests of checkpointing): the
   * job then fails as for any worker that dies.
   */
  async terminateWorker(index: number): Promise<void> {
    await this.states[index]?.worker.terminate();
  }

  private onMessage(index: number, m: WorkerMessage): void {
    const state = this.states[index]!;
    switch (m.type) {
      case 'ready':
        return;
      case 'started':
        this.started?.add(index);
        this.answerSplitRequests();
        return;
      case 'split-request':
        // Asking again: the split of that read it was reading is done.
        this.reading.delete(`${index}:${m.of ?? ''}`);
        this.splitRequests.push({ index, id: m.id, of: m.of });
        this.answerSplitRequests();
        return;
      case 'metrics':
        state.metrics = m.metrics;
        this.onMetrics?.(index, m.metrics);
        return;
      case 'ack':
        this.acknowledge(m.seq, index, m.reply);
        return;
      case 'done':
        state.done = true;
        state.metrics = m.metrics;
        state.report = { result: m.result, metrics: m.metrics };
        // It will not handle the commands still pending for it: the others' acknowledgements are enough.
        for (const seq of [...this.acks.keys()]) this.acknowledge(seq, index);
        // A worker that lingers after reporting (a forgotten timer, an open handle) is stopped after a grace period.
        setTimeout(() => {
          if (!state.exited) void state.worker.terminate();
        }, this.exitGraceMs).unref();
        for (const key of [...this.reading.keys()]) if (key.startsWith(`${index}:`)) this.reading.delete(key);
        this.answerSplitRequests();
        this.maybeFinish();
        return;
      case 'error':
        this.fail(index, 'failed', m.error);
        return;
    }
  }

  private acknowledge(seq: number, worker: number, reply?: unknown): void {
    const a = this.acks.get(seq);
    if (a === undefined || !a.waiting.delete(worker)) return;
    a.replies[worker] = reply;
    if (a.waiting.size > 0) return;
    this.acks.delete(seq);
    a.resolve(a.replies);
  }

  /**
   * Answers the waiting split requests in order, as far as the rules allow: with `splitsOnceStarted`, none before
   * every worker started (or ended); with `holdSplit`, a request waits while it holds its next split back (a request
   * for another read goes past it).
   */
  private answerSplitRequests(): void {
    const started = this.started;
    if (started !== undefined) {
      for (let i = 0; i < this.workers; i++) if (!started.has(i) && this.states[i]?.done !== true) return;
    }
    for (let r = 0; r < this.splitRequests.length; ) {
      const { index, id, of } = this.splitRequests[r]!;
      const at = of === undefined ? (this.splits.length > 0 ? 0 : -1) : this.splits.findIndex((s) => this.splitOf?.(s) === of);
      if (at >= 0 && this.holdSplit?.(this.splits[at], [...this.reading.values()]) === true) {
        r++;
        continue;
      }
      this.splitRequests.splice(r, 1);
      const split = at >= 0 ? this.splits.splice(at, 1)[0] : null;
      if (at >= 0) this.reading.set(`${index}:${of ?? ''}`, split);
      const reply: CoordinatorMessage = { type: 'split', id, split, done: at < 0 };
      this.states[index]?.worker.postMessage(reply);
    }
  }

  private maybeFinish(): void {
    if (this.stopped || !this.states.every((s) => s.done && s.exited)) return;
    this.stopped = true;
    // Commands still waiting for room in a finished worker's ring give up (their waits would keep the process alive).
    for (const r of this.controlRings) abortRing(r);
    this.settle.resolve(this.states.map((s) => s.report!));
  }

  private fail(index: number, what: string, original?: SerializedError): void {
    this.stop(new WorkerFailedError(index, this.workers, what, original));
  }

  private stop(error: RiffleError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = error;
    for (const r of this.sharedMemory) abortRing(r);
    for (const d of this.doorbells) new Doorbell(d).abort();
    for (const a of this.acks.values()) a.reject(error);
    this.acks.clear();
    void Promise.all(this.states.map((s) => (s.exited ? undefined : s.worker.terminate()))).then(
      () => Promise.all(this.states.map((s) => s.exitedPromise)),
    ).then(() => this.settle.reject(error));
  }
}

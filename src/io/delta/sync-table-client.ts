/**
 * Synchronous calls into a worker thread that runs Delta table operations.
 *
 * Why: pipeline steps run synchronously (a DoFn's `process` and `finishBundle` return nothing to await), but a
 * Delta commit is asynchronous file I/O. Writing the commit path a second time in synchronous form would fork the
 * protocol implementation; instead the sink sends each request to a worker thread running the lakehouse code and
 * blocks on an `Atomics.wait` until the worker answers (the answer is then taken with `receiveMessageOnPort`). The
 * worker starts in the DoFn's (asynchronous) `setup`, and stops in `teardown`.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { RiffleError } from '../../model/index.ts';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.ts';

/** The worker module beside this one: table-worker.ts from the sources, table-worker.js in the compiled package. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER = new URL(FROM_SOURCES ? './table-worker.ts' : './table-worker.js', import.meta.url).href;
/** A worker whose heartbeat has not moved for this long is taken for dead. */
const DEAD_AFTER_MS = 120_000;

/**
 * A Delta operation failed in the worker; `code` is the lakehouse error's (e.g. DELTA_SCHEMA_MISMATCH).
 *
 * @example
 * try { client.call({ op: 'commit', session }); } catch (e) { if (e instanceof DeltaSinkError) console.log(e.code); }
 */
export class DeltaSinkError extends RiffleError {
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { domain: code.startsWith('DELTA_') ? 'user' : 'external', ...opts });
  }
}

/**
 * A worker thread answering table requests synchronously.
 *
 * @example
 * const client = await SyncTableClient.start();
 * const begun = client.call({ op: 'begin', ... });
 * await client.close();
 */
export class SyncTableClient {
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    private readonly heartbeat: Int32Array,
  ) {}

  /** Starts the worker and waits until it is ready. */
  static async start(): Promise<SyncTableClient> {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const heartbeat = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    // From the sources, the worker registers the TypeScript loader itself: the main thread may have registered it
    // in-process only. Compiled, it imports plain JavaScript.
    const boot = FROM_SOURCES
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(WORKER)}); })`
      : `import(${JSON.stringify(WORKER)})`;
    const worker = new Worker(boot, { eval: true, workerData: { port: port2, signal, heartbeat }, transferList: [port2] });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(new DeltaSinkError('DELTA_SINK_WORKER', `io.delta: the table worker failed to start: ${e.message}`, { cause: e }));
      worker.once('error', onError);
      port1.once('message', () => {
        worker.off('error', onError);
        resolve();
      });
    });
    worker.unref();
    return new SyncTableClient(worker, port1, signal, heartbeat);
  }

  /** Sends a request and blocks until the worker answers; rethrows the worker's error with its code and message. */
  call<T>(request: WorkerRequest): T {
    if (this.closed) throw new DeltaSinkError('DELTA_SINK_WORKER', 'io.delta: the table worker is closed (internal)');
    const id = this.nextId++;
    let seen = Atomics.load(this.signal, 0);
    this.port.postMessage({ ...request, id });
    let beat = Atomics.load(this.heartbeat, 0);
    let beatAt = Date.now();
    for (;;) {
      const message = receiveMessageOnPort(this.port);
      if (message !== undefined) {
        const response = message.message as WorkerResponse;
        if (response.id !== id) continue; // a stale answer (cannot happen while calls are sequential)
        if (response.ok) return response.value as T;
        const { code, message: text, name, stack } = response.error;
        const cause = Object.assign(new Error(text), { name, stack });
        // The lakehouse message already carries its hint; keep it as is.
        throw new DeltaSinkError(code ?? 'DELTA_SINK_FAILED', text, { cause });
      }
      Atomics.wait(this.signal, 0, seen, 1000);
      seen = Atomics.load(this.signal, 0);
      const now = Atomics.load(this.heartbeat, 0);
      if (now !== beat) {
        beat = now;
        beatAt = Date.now();
      } else if (Date.now() - beatAt > DEAD_AFTER_MS) {
        throw new DeltaSinkError('DELTA_SINK_WORKER', `io.delta: the table worker stopped answering (no heartbeat for ${DEAD_AFTER_MS / 1000}s) during '${request.op}'`);
      }
    }
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
  }
}

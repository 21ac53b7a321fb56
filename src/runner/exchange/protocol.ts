/**
 * The messages between the coordinator and its workers (over each worker's parentPort; bulk data never goes this way,
 * it goes through the exchange rings).
 *
 * Start: the Worker's `workerData` is the start message (`WorkerInit`): the worker's index, the module to load, the
 * shared memory of every exchange and its control ring. Then, worker → coordinator: `ready` (module loaded),
 * `split-request` (answered by `split`), `metrics`, `ack` (a control command was handled), and finally one of `done`
 * (with the module's result) or `error`. Coordinator control commands (TestStream's watermark and processing-time
 * advances) travel in-band on the control ring, so they are ordered with any data the coordinator sends.
 */
import { excerpt, RiffleError, type ErrorDomain } from '../../model/index.ts';

/** One exchange's shared memory as one worker sees it. */
export interface ExchangeWiring {
  /** Rings this worker writes, by destination worker, and the doorbells of those destinations. */
  readonly outRings: readonly SharedArrayBuffer[];
  readonly outDoorbells: readonly SharedArrayBuffer[];
  /** Rings this worker reads, by sending worker, and its own doorbell. */
  readonly inRings: readonly SharedArrayBuffer[];
  readonly doorbell: SharedArrayBuffer;
}

export interface WorkerInit {
  readonly index: number;
  readonly workers: number;
  readonly maxParallelism: number;
  /** The module the worker imports; it exports `runWorker(ctx)`. */
  readonly moduleUrl: string;
  /** Anything structured-cloneable the coordinator passes to every worker (pipeline options, job parameters). */
  readonly data: unknown;
  readonly exchanges: Readonly<Record<string, ExchangeWiring>>;
  /** The coordinator's command ring to this worker. */
  readonly control: { readonly ring: SharedArrayBuffer; readonly doorbell: SharedArrayBuffer };
}

/** An error as it crosses from a worker to the coordinator (Error objects lose their fields in structured clone). */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly domain?: ErrorDomain;
  readonly hint?: string;
  readonly step?: string;
  /** A short excerpt of the element being processed, never the whole element. */
  readonly element?: string;
  readonly stack?: string;
}

export type WorkerMessage =
  | { type: 'ready' }
  /** `of`: a split of that read only (`WorkerPoolOptions.splitOf`); absent: the next split of any. */
  | { type: 'split-request'; id: number; of?: string }
  /** The worker's exchange inputs are running (WorkerContext.started): see `WorkerPoolOptions.splitsOnceStarted`. */
  | { type: 'started' }
  | { type: 'metrics'; metrics: Record<string, number> }
  | { type: 'ack'; seq: number; reply?: unknown }
  | { type: 'done'; result: unknown; metrics: Record<string, number> }
  | { type: 'error'; error: SerializedError };

export type CoordinatorMessage = { type: 'split'; id: number; split: unknown; done: boolean };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof RiffleError) {
    const step = typeof e.context.step === 'string' ? e.context.step : undefined;
    return {
      name: e.name,
      message: e.message,
      code: e.code,
      domain: e.domain,
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      ...(step !== undefined ? { step } : {}),
      ...('element' in e.context ? { element: excerpt(e.context.element) } : {}),
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
    };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) };
  return { name: 'Error', message: `a non-Error value was thrown: ${excerpt(e)}` };
}

/**
 * A worker failed, so the job stopped: names the worker, and the step and element when the worker reported them.
 * Its domain is the original error's (a user's DoFn that throws stays a user error).
 */
export class WorkerFailedError extends RiffleError {
  readonly worker: number;
  readonly original: SerializedError | undefined;
  constructor(worker: number, workers: number, what: string, original?: SerializedError) {
    // The worker's own error first, as one thread would report it (the CLI shows it as is), then where it happened.
    const where = original?.step !== undefined && !original.message.includes(`'${original.step}'`) ? `, step '${original.step}'` : '';
    // A RiffleError's message ends with its hint line: the hint goes back to its own field.
    const suffix = original?.hint !== undefined ? `\n  hint: ${original.hint}` : undefined;
    const own = original === undefined ? '' : suffix !== undefined && original.message.endsWith(suffix) ? original.message.slice(0, -suffix.length) : original.message;
    const message = original ? `${own} (in worker ${worker} of ${workers}${where})` : `worker ${worker} of ${workers} ${what}`;
    const hint = original === undefined ? 'the job was stopped; run with --workers 1 to see the failure in one thread, and report it if it persists' : original.hint;
    super(original?.code ?? 'WORKER_FAILED', message, {
      domain: original?.domain ?? 'internal',
      context: { worker, ...(original?.step !== undefined ? { step: original.step } : {}), ...(original?.element !== undefined ? { element: original.element } : {}) },
      ...(hint !== undefined ? { hint } : {}),
    });
    this.worker = worker;
    this.original = original;
    if (original?.stack) this.stack = `${this.name}: ${this.message}\n  in worker ${worker}: ${original.stack}`;
  }
}

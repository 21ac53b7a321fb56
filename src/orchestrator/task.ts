/**
 * A task of a DAG: its function, options (retries, backoff, timeout, trigger rule, pool, callbacks...), its inputs
 * (TaskFlow: upstream return values it receives) and its edges. Tasks are made by `dag.task(...)` and friends, and
 * linked with `then`.
 * @example
 *   const extract = d.task('extract', () => [1, 2, 3]);
 *   const total = d.task('total', { inputs: { rows: extract } }, ({ inputs }) => inputs.rows.length);
 *   extract.then(total); // implied by the input, written here for show
 */
import { parseDuration, type DurationLike } from '../model/index.ts';
import type { MetadataStore } from './metadata-store.ts';
import type { TemplateContext } from './template-context.ts';
import type { TriggerRule } from './trigger-rules.ts';

/** What a callback learns about the attempt that triggered it. */
export interface CallbackInfo {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
  state: 'success' | 'failed' | 'up_for_retry';
  error?: string | undefined;
}

export type TaskCallback = (info: CallbackInfo) => void | Promise<void>;

/** Options every task accepts; a DAG's `defaultArgs` gives defaults for them. */
export interface TaskOptions {
  /** Retries after the first attempt (default 0). */
  retries?: number;
  /** Wait before a retry (default '5m'). */
  retryDelay?: DurationLike;
  /** Double the delay at each retry (default false), up to `maxRetryDelay` (default '24h'). */
  retryExponentialBackoff?: boolean;
  maxRetryDelay?: DurationLike;
  /** Kill the attempt past this (default none). */
  executionTimeout?: DurationLike;
  /** Run only if this task succeeded (or was skipped) in the previous run of the DAG. */
  dependsOnPast?: boolean;
  triggerRule?: TriggerRule;
  /** A named pool limits concurrent slots across DAGs (default 'default_pool'). */
  pool?: string;
  poolSlots?: number;
  /** At most this many instances of the task run at once, across runs. */
  maxActiveInstances?: number;
  onFailure?: TaskCallback;
  onSuccess?: TaskCallback;
  onRetry?: TaskCallback;
}

/** Options with defaults applied. */
export interface ResolvedTaskOptions {
  retries: number;
  retryDelay: number;
  retryExponentialBackoff: boolean;
  maxRetryDelay: number;
  executionTimeout: number | undefined;
  dependsOnPast: boolean;
  triggerRule: TriggerRule;
  pool: string;
  poolSlots: number;
  maxActiveInstances: number | undefined;
  onFailure: TaskCallback | undefined;
  onSuccess: TaskCallback | undefined;
  onRetry: TaskCallback | undefined;
}

export function resolveTaskOptions(defaults: TaskOptions, own: TaskOptions): ResolvedTaskOptions {
  const o = { ...defaults, ...own };
  const timeout = o.executionTimeout === undefined ? undefined : parseDuration(o.executionTimeout, 'executionTimeout');
  return {
    retries: o.retries ?? 0,
    retryDelay: parseDuration(o.retryDelay ?? '5m', 'retryDelay'),
    retryExponentialBackoff: o.retryExponentialBackoff ?? false,
    maxRetryDelay: parseDuration(o.maxRetryDelay ?? '24h', 'maxRetryDelay'),
    executionTimeout: timeout,
    dependsOnPast: o.dependsOnPast ?? false,
    triggerRule: o.triggerRule ?? 'all_success',
    pool: o.pool ?? 'default_pool',
    poolSlots: o.poolSlots ?? 1,
    maxActiveInstances: o.maxActiveInstances,
    onFailure: o.onFailure,
    onSuccess: o.onSuccess,
    onRetry: o.onRetry,
  };
}

/** What a task function receives: the template context, typed inputs, and helpers. */
export interface TaskContext<I = Record<never, never>> extends TemplateContext {
  /** Upstream return values declared with `inputs` (and the element for `expand`). */
  readonly inputs: I;
  readonly logicalDate: Date;
  readonly dataIntervalStart: Date;
  readonly dataIntervalEnd: Date;
  readonly maxTries: number;
  /** Aborted when the attempt times out or is killed (in-process runs; a worker process is killed outright). */
  readonly signal: AbortSignal;
  /** Writes a line to this attempt's log. */
  log(...args: unknown[]): void;
  /** Renders `{{ ... }}` placeholders with this context. */
  render(template: string): string;
  /**
   * Reads the metadata store of the scheduler running this attempt (opened for the call, read-only where the store
   * allows, then closed): what `externalTaskSensor` looks into. Throws if the attempt runs without a store.
   */
  readMetadata<R>(fn: (store: MetadataStore) => Promise<R>): Promise<R>;
}

export type TaskFn<I, T> = (ctx: TaskContext<I>) => T | Promise<T>;

/** A sensor's poke: done (optionally with a value passed downstream), or not yet. */
export type PokeResult<T> = boolean | { done: boolean; value?: T };

/** Options of sensors. */
export interface SensorOptions {
  /** Time between pokes (default '30s'). */
  pokeInterval?: DurationLike;
  /** Give up after this long since the first poke (default '7d'); the task fails without retry. */
  timeout?: DurationLike;
  /** 'poke' keeps the worker slot and sleeps between pokes; 'reschedule' frees it between pokes. */
  mode?: 'poke' | 'reschedule';
  /** On timeout, skip instead of failing. */
  softFail?: boolean;
}

export interface ResolvedSensorOptions {
  pokeInterval: number;
  timeout: number;
  mode: 'poke' | 'reschedule';
  softFail: boolean;
}

export function resolveSensorOptions(o: SensorOptions): ResolvedSensorOptions {
  return {
    pokeInterval: parseDuration(o.pokeInterval ?? '30s', 'pokeInterval'),
    timeout: parseDuration(o.timeout ?? '7d', 'sensor timeout'),
    mode: o.mode ?? 'poke',
    softFail: o.softFail ?? false,
  };
}

/** Anything that can be linked: a task, a group, or a list of them. */
export interface Linkable {
  /** Tasks that receive edges into this node. */
  roots(): Task<unknown>[];
  /** Tasks whose edges leave this node. */
  leaves(): Task<unknown>[];
}

export type LinkTarget = Linkable | readonly Linkable[];

/** Adds edges from every leaf of `from` to every root of `to`, and returns `to` for chaining. */
export function link<N extends LinkTarget>(from: Linkable, to: N): N extends readonly Linkable[] ? TaskList : N {
  const targets = Array.isArray(to) ? (to as readonly Linkable[]) : [to as Linkable];
  for (const leaf of from.leaves()) for (const t of targets) for (const root of t.roots()) leaf.addDownstream(root);
  return (Array.isArray(to) ? new TaskList(to as readonly Linkable[]) : to) as never;
}

/** Several nodes linked together: `parallel([b, c]).then(d)` is fan-in. */
export class TaskList implements Linkable {
  constructor(readonly items: readonly Linkable[]) {}
  roots(): Task<unknown>[] {
    return this.items.flatMap((i) => i.roots());
  }
  leaves(): Task<unknown>[] {
    return this.items.flatMap((i) => i.leaves());
  }
  then<N extends LinkTarget>(next: N): N extends readonly Linkable[] ? TaskList : N {
    return link(this, next);
  }
}

/** Fan-in helper: `parallel([b, c]).then(d)`. */
export function parallel(items: readonly Linkable[]): TaskList {
  return new TaskList(items);
}

/** Links nodes in order: `chain(a, [b, c], d)` is a → {b, c} → d. */
export function chain(...steps: LinkTarget[]): void {
  for (let i = 0; i + 1 < steps.length; i++) {
    const from = steps[i]!;
    link(Array.isArray(from) ? new TaskList(from as readonly Linkable[]) : (from as Linkable), steps[i + 1]!);
  }
}

/** What kind of work a task does, as the executor sees it. */
export type TaskKind = 'task' | 'branch' | 'sensor';

/** A task in a DAG. `T` is the type of its return value (what downstream tasks receive as input). */
export class Task<T = unknown> implements Linkable {
  /** Never set: carries `T` for type inference. */
  declare readonly __output?: T;
  readonly upstreamIds = new Set<string>();
  readonly downstreamIds = new Set<string>();

  constructor(
    readonly id: string,
    readonly dagId: string,
    readonly kind: TaskKind,
    readonly fn: TaskFn<any, unknown>,
    readonly options: ResolvedTaskOptions,
    /** Input name → upstream task id (TaskFlow). */
    readonly inputs: Readonly<Record<string, string>>,
    /** Input name → upstream task id whose list this task is mapped over. */
    readonly expand: Readonly<Record<string, string>>,
    readonly sensor: ResolvedSensorOptions | undefined,
    readonly description: string | undefined,
  ) {}

  get isMapped(): boolean {
    return Object.keys(this.expand).length > 0;
  }

  roots(): Task<unknown>[] {
    return [this as Task<unknown>];
  }
  leaves(): Task<unknown>[] {
    return [this as Task<unknown>];
  }

  /** Adds edges to `next` (a task, a group, or a list for fan-out) and returns it for chaining. */
  then<N extends LinkTarget>(next: N): N extends readonly Linkable[] ? TaskList : N {
    return link(this, next);
  }

  /** @internal */
  addDownstream(t: Task<unknown>): void {
    if (t.dagId !== this.dagId) throw new Error(`cannot link '${this.id}' (dag '${this.dagId}') to '${t.id}' (dag '${t.dagId}')`);
    this.downstreamIds.add(t.id);
    t.upstreamIds.add(this.id);
  }

  /** The number of attempts allowed: retries + 1. */
  get maxTries(): number {
    return this.options.retries + 1;
  }

  /** Delay before the retry that follows failed attempt `tryNumber` (1-based): fixed, or doubling up to the cap. */
  retryDelayAfter(tryNumber: number): number {
    const { retryDelay, retryExponentialBackoff, maxRetryDelay } = this.options;
    if (!retryExponentialBackoff) return retryDelay;
    return Math.min(maxRetryDelay, retryDelay * 2 ** Math.max(0, tryNumber - 1));
  }
}

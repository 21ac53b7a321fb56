/**
 * A DAG: tasks, their edges, and when to run them. Defined in a TypeScript module that exports it; the scheduler
 * and the task worker processes both import that module.
 * @example
 *   export const etl = dag({ id: 'etl', schedule: '@daily', startDate: '2024-01-01', catchup: false, defaultArgs: { retries: 2 } });
 *   const extract = etl.task('extract', ({ ds }) => fetchRows(ds));
 *   const load = etl.task('load', { inputs: { rows: extract } }, ({ inputs }) => save(inputs.rows));
 */
import { paramDefaults, paramSpecsOf, type ParamSpec } from './dag-params.ts';
import { DagDefinitionError } from './errors.ts';
import { Schedule, type ScheduleSpec } from './schedule.ts';
import { TaskFactory, type TaskRegistry } from './task-group.ts';
import type { Task, TaskOptions } from './task.ts';
import { parseDateIn, type DateLike } from './zoned-time.ts';

/** Options of `dag(...)`. */
export interface DagOptions {
  id: string;
  /** '@daily', '@hourly', '@weekly', '@once', a cron expression, or null for manual runs only. */
  schedule: ScheduleSpec;
  /** First data interval starts at the first tick at or after this (a local date in `timezone`). */
  startDate: DateLike;
  endDate?: DateLike;
  /** IANA zone the schedule and local dates are read in (default 'UTC'). */
  timezone?: string;
  /** Create runs for every missed interval (default false: only the latest). */
  catchup?: boolean;
  /** Runs of this DAG executing at once (default 16). */
  maxActiveRuns?: number;
  /** Task instances of this DAG running at once (default 16). */
  maxActiveTasks?: number;
  tags?: readonly string[];
  description?: string;
  /** Defaults for every task's options. */
  defaultArgs?: TaskOptions;
  /**
   * Params (templates see `params.x`; a triggered run may override them): a bare value is a default and gives the
   * type (`threshold: 0.05` is a number), `{ type, default, description, enum, min, max }` declares one (see
   * `dag-params.ts`). Values given to a run are checked before it starts; unknown names are refused.
   */
  params?: Record<string, unknown>;
  /**
   * Whether the DAG starts paused the first time a scheduler records it (default: the scheduler's setting, itself
   * true by default, as Airflow's `dags_are_paused_at_creation`): a paused DAG gets no scheduled runs until
   * `riffle dag unpause`. Triggered, tested and backfilled runs run either way.
   */
  isPausedUponCreation?: boolean;
}

const BRAND = 'riffle.dag';

/** A DAG definition. Create with `dag(...)`. */
export class Dag extends TaskFactory {
  readonly kind = BRAND;
  readonly id: string;
  readonly schedule: Schedule;
  readonly timezone: string;
  readonly startDate: number;
  readonly endDate: number | undefined;
  readonly catchup: boolean;
  readonly maxActiveRuns: number;
  readonly maxActiveTasks: number;
  readonly tags: readonly string[];
  readonly description: string | undefined;
  readonly defaultArgs: TaskOptions;
  /** The params' defaults (what a run gets unless its trigger gives other values). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The params' declarations (type, default, description, bounds). */
  readonly paramSpecs: Readonly<Record<string, ParamSpec>>;
  readonly isPausedUponCreation: boolean | undefined;
  /** The module file the DAG was loaded from (set by the loader; workers import it). */
  fileloc: string | undefined;
  private readonly byId = new Map<string, Task<unknown>>();

  constructor(o: DagOptions) {
    if (typeof o.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(o.id)) {
      throw new DagDefinitionError(`invalid dag id '${String(o.id)}'`, { hint: 'use letters, digits, _, - and .' });
    }
    const registry: TaskRegistry = {
      id: o.id,
      defaultArgs: o.defaultArgs ?? {},
      register: (t) => void this.byId.set(t.id, t),
      lookup: (id) => this.byId.get(id),
    };
    super(registry, '', undefined);
    this.id = o.id;
    this.timezone = o.timezone ?? 'UTC';
    this.schedule = Schedule.of(o.schedule, this.timezone);
    this.startDate = parseDateIn(o.startDate, this.timezone, `dag '${o.id}' startDate`);
    this.endDate = o.endDate === undefined ? undefined : parseDateIn(o.endDate, this.timezone, `dag '${o.id}' endDate`);
    this.catchup = o.catchup ?? false;
    this.maxActiveRuns = positive(o.maxActiveRuns ?? 16, 'maxActiveRuns', o.id);
    this.maxActiveTasks = positive(o.maxActiveTasks ?? 16, 'maxActiveTasks', o.id);
    this.tags = o.tags ?? [];
    this.description = o.description;
    this.defaultArgs = o.defaultArgs ?? {};
    this.paramSpecs = paramSpecsOf(o.id, o.params ?? {});
    this.params = paramDefaults(this.paramSpecs);
    const required = Object.keys(this.paramSpecs).filter((k) => !(k in this.params));
    if (required.length > 0 && this.schedule.kind !== 'none') {
      throw new DagDefinitionError(`dag '${o.id}': param(s) ${required.join(', ')} have no default, but the DAG has a schedule, whose runs cannot give them`, { hint: 'give them a default, or make the DAG manual-only (schedule: null)' });
    }
    if (o.isPausedUponCreation !== undefined && typeof o.isPausedUponCreation !== 'boolean') throw new DagDefinitionError(`dag '${o.id}': isPausedUponCreation must be true or false`);
    this.isPausedUponCreation = o.isPausedUponCreation;
    this.fileloc = undefined;
  }

  /** All tasks, in definition order. */
  get tasks(): readonly Task<unknown>[] {
    return [...this.byId.values()];
  }

  /** The task with this id; throws naming the known ids otherwise. */
  getTask(id: string): Task<unknown> {
    const t = this.byId.get(id);
    if (!t) throw new DagDefinitionError(`dag '${this.id}' has no task '${id}'`, { hint: `tasks: ${[...this.byId.keys()].join(', ')}` });
    return t;
  }

  hasTask(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Tasks in an order where every task comes after its upstreams; throws a DagDefinitionError naming a cycle
   * (`a → b → c → a`) if there is one.
   */
  topologicalOrder(): Task<unknown>[] {
    const indegree = new Map<string, number>();
    for (const t of this.byId.values()) indegree.set(t.id, t.upstreamIds.size);
    const ready = [...this.byId.values()].filter((t) => t.upstreamIds.size === 0);
    const out: Task<unknown>[] = [];
    while (ready.length > 0) {
      const t = ready.shift()!;
      out.push(t);
      for (const d of t.downstreamIds) {
        const n = indegree.get(d)! - 1;
        indegree.set(d, n);
        if (n === 0) ready.push(this.byId.get(d)!);
      }
    }
    if (out.length < this.byId.size) {
      const cycle = this.findCycle(new Set([...indegree].filter(([, n]) => n > 0).map(([id]) => id)));
      throw new DagDefinitionError(`dag '${this.id}' has a cycle: ${cycle.join(' → ')}`, { hint: 'remove one of these edges; a DAG may not loop back on itself' });
    }
    return out;
  }

  /** Checks the DAG (cycles); returns it for chaining. */
  validate(): this {
    this.topologicalOrder();
    return this;
  }

  /** Whether `to` is reachable from `from` along downstream edges. */
  reaches(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === to) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const d of this.byId.get(id)?.downstreamIds ?? []) stack.push(d);
    }
    return false;
  }

  private findCycle(candidates: Set<string>): string[] {
    // Depth-first search restricted to tasks left over by Kahn's algorithm: every one of them is on or after a cycle.
    const onPath = new Map<string, number>();
    const path: string[] = [];
    const done = new Set<string>();
    const visit = (id: string): string[] | undefined => {
      onPath.set(id, path.length);
      path.push(id);
      for (const d of this.byId.get(id)!.downstreamIds) {
        if (!candidates.has(d) || done.has(d)) continue;
        const at = onPath.get(d);
        if (at !== undefined) return [...path.slice(at), d];
        const found = visit(d);
        if (found) return found;
      }
      onPath.delete(id);
      path.pop();
      done.add(id);
      return undefined;
    };
    for (const id of candidates) {
      const found = done.has(id) ? undefined : visit(id);
      if (found) return found;
    }
    return [...candidates];
  }
}

/** Defines a DAG. */
export function dag(options: DagOptions): Dag {
  return new Dag(options);
}

/** Whether a value is a Dag (by brand: a DAG file may have loaded another copy of Riffle). */
export function isDag(value: unknown): value is Dag {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === BRAND && typeof (value as Dag).getTask === 'function';
}

function positive(n: number, what: string, id: string): number {
  if (!Number.isInteger(n) || n < 1) throw new DagDefinitionError(`dag '${id}': ${what} must be a positive integer, got ${n}`);
  return n;
}
